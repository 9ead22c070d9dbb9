package bot

type atom struct {
	boundStart, boundEnd bool // an English word must start/end here
}

// phrase is one atom, or two with a short gap ("A..B").
type phrase struct{ a, b int }

const maxGap = 30 // bytes between the parts of "A..B": about ten Chinese characters

type special int

const (
	noSpecial special = iota
	spNumber
	spPhone
	spPrefix
	spBadNumber
	spShort
)

// term is one distinct term of the rules ("@sms", "收不到", "$number").
// A hit on any of its single-atom phrases marks it matched while the
// message is scanned; its gap phrases are checked after the scan.
type term struct {
	gaps    []phrase
	special special
}

type csignal struct {
	terms  []int // indexes into Matcher.terms
	weight float64
}

type cintent struct {
	id        string
	parent    int // index, -1 for none
	yield     bool
	handoff   bool // asks for a person: wins whenever it is confident
	maxUnits  int
	signals   []csignal
	negatives []int
}
