package knowledge

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// The built-in knowledge files, by the names they have in a KB_DIR folder.
// A folder may hold any number of FAQ files: NAME.zh.md, each with an
// optional English twin NAME.en.md.
const (
	FileZH    = "faq.zh.md"
	FileEN    = "faq.en.md"
	FileRules = "intents.yaml"
)

// BuiltIn is how problems and sources name a built-in file.
const BuiltIn = "built-in"

//go:embed data/faq.zh.md data/faq.en.md data/intents.yaml
var embedded embed.FS

// Embedded returns the built-in knowledge files.
func Embedded() fs.FS {
	sub, err := fs.Sub(embedded, "data")
	if err != nil {
		panic(err) // the embed pattern above guarantees the folder
	}
	return sub
}

// IsKnowledgeFile reports whether a file of this name is part of a
// knowledge folder.
func IsKnowledgeFile(name string) bool {
	name = path.Base(filepath.ToSlash(name))
	return name == FileRules || strings.HasSuffix(name, ".zh.md") || strings.HasSuffix(name, ".en.md")
}

// KB is a validated, read-only knowledge base: the FAQ in Chinese and
// English, the prefix table and the intent rules.
type KB struct {
	// ZH holds every Chinese entry of every FAQ file, in load order; EN
	// the entry to show English readers at the same index: the English
	// twin, or the Chinese entry itself where its file has no twin (its
	// Lang says "zh"). Both hold the prefix table, if any file has one.
	ZH, EN *FAQ
	// Topics are the FAQ files, in load order.
	Topics []Topic
	Rules  *Rules
	// Version identifies the content (a hash of the files).
	Version  string
	LoadedAt time.Time
	// Sources tells where each file came from, in load order.
	Sources []Source
	// Notes are things worth telling the operator that are not errors.
	Notes []string

	prefixes map[string]Prefix
	targets  []Target
	byID     map[string]int // target ids and rule ids -> targets
	messages map[string]map[string]string
}

// Source is one knowledge file and where it was read: a path, or BuiltIn.
type Source struct {
	Name, From string
}

// Topic is one FAQ file (NAME.zh.md) and its entries in KB.ZH.
type Topic struct {
	Name    string // NAME
	Title   string // the file's "# " title, or NAME
	TitleEN string // the English twin's title, or Title
	First   int    // index of its first entry
	Count   int
	English bool // it has an English twin
}

// Target is an answer the bot can give: an FAQ entry, one step or case
// of one, or one of the bot's own messages (a rule's answer). Every entry
// and item is one, with no rule written for it.
type Target struct {
	ID    string
	Entry int // index in ZH.Entries; -1 for a message
	Step  int // 1-based item of the entry; 0 for the whole entry
	// Message names the bot's message it answers with (a rule's).
	Message string
}

// IsEntry reports whether t answers from the FAQ.
func (t Target) IsEntry() bool { return t.Entry >= 0 }

// Load reads, parses and validates the knowledge in fsys: its FAQ files
// and its intents.yaml, or the built-in rules when it has none.
func Load(fsys fs.FS) (*KB, error) {
	return load(fsSource{fsys: fsys})
}

// LoadDir loads the knowledge in dir. A folder without FAQ files uses the
// built-in FAQ, and one without intents.yaml the built-in rules; Sources
// says so. Problems name the files by their paths.
func LoadDir(dir string) (*KB, error) {
	return load(fsSource{fsys: os.DirFS(dir), dir: dir})
}

// Default loads the embedded knowledge.
func Default() (*KB, error) { return load(builtinSource()) }

// fsSource reads knowledge files from a folder; dir, when set, is its path
// for problems and sources; builtin marks the embedded files.
type fsSource struct {
	fsys    fs.FS
	dir     string
	builtin bool
}

func builtinSource() fsSource { return fsSource{fsys: Embedded(), builtin: true} }

// name is how problems name a file of the folder.
func (s fsSource) name(file string) string {
	switch {
	case s.builtin:
		return BuiltIn + " " + file
	case s.dir == "":
		return file
	}
	return filepath.Join(s.dir, file)
}

// from is how Sources name the folder.
func (s fsSource) from(file string) string {
	if s.builtin {
		return BuiltIn
	}
	return s.name(file)
}

// faqFiles lists the Chinese FAQ files: faq.zh.md first, then the others
// by name; and the English ones without a Chinese original.
func faqFiles(fsys fs.FS) (zh []string, orphans []string, err error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, nil, err
	}
	have := map[string]bool{}
	for _, e := range entries {
		if !e.IsDir() {
			have[e.Name()] = true
		}
	}
	for name := range have {
		switch {
		case strings.HasSuffix(name, ".zh.md"):
			zh = append(zh, name)
		case strings.HasSuffix(name, ".en.md") && !have[strings.TrimSuffix(name, ".en.md")+".zh.md"]:
			orphans = append(orphans, name)
		}
	}
	sort.Slice(zh, func(i, j int) bool {
		if (zh[i] == FileZH) != (zh[j] == FileZH) {
			return zh[i] == FileZH
		}
		return zh[i] < zh[j]
	})
	sort.Strings(orphans)
	return zh, orphans, nil
}

// file is one file read for loading.
type file struct {
	name, shown string // as in the folder; as problems name it
	from        string // for Sources
	data        []byte
}

func load(src fsSource) (*KB, error) {
	kb := &KB{LoadedAt: time.Now()}
	var all Problems
	collect := func(err error) {
		var ps Problems
		if errors.As(err, &ps) {
			all = append(all, ps...)
		} else if err != nil {
			all = append(all, Problem{Msg: err.Error()})
		}
	}
	zhNames, orphans, err := faqFiles(src.fsys)
	if err != nil {
		return nil, fmt.Errorf("load knowledge: %w", err)
	}
	for _, o := range orphans {
		all = append(all, Problem{File: src.name(o), Msg: "an English FAQ file needs its Chinese original " + strings.TrimSuffix(o, ".en.md") + ".zh.md"})
	}
	faqSrc := src
	if len(zhNames) == 0 {
		faqSrc = builtinSource()
		zhNames = []string{FileZH}
	}
	read := func(s fsSource, name string) (file, bool, error) {
		b, err := fs.ReadFile(s.fsys, name)
		if errors.Is(err, fs.ErrNotExist) {
			return file{}, false, nil
		}
		if err != nil {
			return file{}, false, fmt.Errorf("load knowledge: %w", err)
		}
		return file{name: name, shown: s.name(name), from: s.from(name), data: b}, true, nil
	}
	h := sha256.New()
	var pairs [][2]*FAQ
	for _, zn := range zhNames {
		zf, ok, err := read(faqSrc, zn)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		en := strings.TrimSuffix(zn, ".zh.md") + ".en.md"
		ef, hasEN, err := read(faqSrc, en)
		if err != nil {
			return nil, err
		}
		files := []file{zf}
		if hasEN {
			files = append(files, ef)
		}
		var pair [2]*FAQ
		for i, f := range files {
			kb.Sources = append(kb.Sources, Source{f.name, f.from})
			fmt.Fprintf(h, "%s\x00%d\x00", f.name, len(f.data))
			h.Write(f.data)
			faq, err := ParseFAQ(f.shown, bytes.NewReader(f.data))
			collect(err)
			pair[i] = faq
		}
		pairs = append(pairs, pair)
	}
	rf, ok, err := read(src, FileRules)
	if err != nil {
		return nil, err
	}
	builtinRules := !ok || src.builtin
	if !ok {
		rf, _, err = read(builtinSource(), FileRules)
		if err != nil {
			return nil, err
		}
	}
	kb.Sources = append(kb.Sources, Source{FileRules, rf.from})
	fmt.Fprintf(h, "%s\x00%d\x00", FileRules, len(rf.data))
	h.Write(rf.data)
	kb.Version = hex.EncodeToString(h.Sum(nil))[:12]
	kb.Rules, err = ParseRules(rf.shown, bytes.NewReader(rf.data))
	collect(err)
	switch {
	case kb.Rules == nil:
	case builtinRules:
		kb.Rules.checkRequired(&all)
	default:
		bf, _, err := read(builtinSource(), FileRules)
		if err != nil {
			return nil, err
		}
		builtin, err := ParseRules(bf.shown, bytes.NewReader(bf.data))
		if err != nil {
			return nil, fmt.Errorf("load knowledge: %w", err)
		}
		if filled := kb.Rules.fillMessages(builtin); len(filled) > 0 {
			kb.Notes = append(kb.Notes, fmt.Sprintf("%s: %d of the bot's messages are not set there; the built-in ones are used (%s)",
				rf.shown, len(filled), strings.Join(filled, ", ")))
		}
	}
	if len(all) > 0 {
		return nil, all
	}
	kb.merge(pairs, &all)
	if len(all) > 0 {
		return nil, all
	}
	kb.resolve(&all, builtinRules && !faqSrc.builtin)
	if len(all) > 0 {
		return nil, all
	}
	kb.prefixes = make(map[string]Prefix, len(kb.ZH.Prefixes))
	for _, p := range kb.ZH.Prefixes {
		kb.prefixes[p.Prefix] = p
	}
	kb.expandMessages()
	return kb, nil
}

// merge checks each file pair and puts their entries into ZH and EN.
func (kb *KB) merge(pairs [][2]*FAQ, all *Problems) {
	kb.ZH, kb.EN = &FAQ{File: "*.zh.md"}, &FAQ{File: "*.en.md"}
	for _, pair := range pairs {
		zh, en := pair[0], pair[1]
		name := strings.TrimSuffix(path.Base(filepath.ToSlash(zh.File)), ".zh.md")
		t := Topic{Name: name, Title: zh.Title, First: len(kb.ZH.Entries), Count: len(zh.Entries), English: en != nil}
		if t.Title == "" {
			t.Title = name
		}
		t.TitleEN = t.Title
		if en != nil {
			checkTwins(zh, en, all)
			if en.Title != "" {
				t.TitleEN = en.Title
			}
		}
		kb.Topics = append(kb.Topics, t)
		if zh.TableLine != 0 {
			if kb.ZH.TableLine != 0 {
				problems{file: zh.File, list: all}.add(zh.TableLine, "a second prefix table (the first is in %s, line %d)", kb.ZH.File, kb.ZH.TableLine)
			} else {
				kb.ZH.File, kb.ZH.TableLine, kb.ZH.Prefixes = zh.File, zh.TableLine, zh.Prefixes
				if en != nil && en.TableLine != 0 {
					kb.EN.File, kb.EN.TableLine, kb.EN.Prefixes = en.File, en.TableLine, en.Prefixes
				}
			}
		}
		kb.ZH.Entries = append(kb.ZH.Entries, zh.Entries...)
		if en != nil && len(en.Entries) == len(zh.Entries) {
			kb.EN.Entries = append(kb.EN.Entries, en.Entries...)
		} else {
			kb.EN.Entries = append(kb.EN.Entries, zh.Entries...)
		}
	}
	if kb.EN.TableLine == 0 {
		kb.EN.Prefixes = kb.ZH.Prefixes
	}
	kb.assignIDs(all)
}

// checkTwins checks that an English file mirrors its Chinese original:
// the same questions in the same order, with as many steps or cases, the
// prefix table in the same place, and the same rows.
func checkTwins(zhf, enf *FAQ, all *Problems) {
	en := problems{file: enf.File, list: all}
	if len(enf.Entries) != len(zhf.Entries) {
		en.add(0, "has %d questions but %s has %d: keep the two files in step", len(enf.Entries), zhf.File, len(zhf.Entries))
		return
	}
	for i := range zhf.Entries {
		z, e := &zhf.Entries[i], &enf.Entries[i]
		if e.ID != "" && e.ID != z.ID {
			en.add(e.Line, "question %q has id %q but its Chinese original %q (%s line %d) has %q: give ids in the Chinese file", e.Question, e.ID, z.Question, zhf.File, z.Line, z.ID)
		}
		if len(z.Items) != len(e.Items) || z.Ordered != e.Ordered {
			en.add(e.Line, "question %q has %d %ss but its Chinese original %q (line %d) has %d %ss",
				e.Question, len(e.Items), e.Kind(), z.Question, z.Line, len(z.Items), z.Kind())
			continue
		}
		for j := range z.Items {
			if z.Items[j].Table != e.Items[j].Table {
				en.add(e.Items[j].Line, "the prefix table is not in the same %s as in %s", e.Kind(), zhf.File)
			}
			if id := e.Items[j].ID; id != "" && id != z.Items[j].ID {
				en.add(e.Items[j].Line, "%s %d has id %q but in %s it has %q: give ids in the Chinese file", e.Kind(), j+1, id, zhf.File, z.Items[j].ID)
			}
		}
	}
	if enf.TableLine != 0 {
		if len(enf.Prefixes) != len(zhf.Prefixes) {
			en.add(enf.TableLine, "prefix table has %d rows but %s has %d", len(enf.Prefixes), zhf.File, len(zhf.Prefixes))
			return
		}
		for i, z := range zhf.Prefixes {
			e := enf.Prefixes[i]
			zk, _ := CarrierKey(z.Carrier)
			ek, _ := CarrierKey(e.Carrier)
			if z.Prefix != e.Prefix || zk != ek || z.Valid != e.Valid {
				en.add(e.Line, "prefix row %s %s differs from %s line %d (%s %s)", e.Prefix, e.Carrier, zhf.File, z.Line, z.Prefix, z.Carrier)
			}
		}
	}
}

// DerivedID is the id of an entry without an explicit one: its question,
// without the question mark and spaces at the end.
func DerivedID(question string) string {
	return strings.TrimRight(strings.TrimSpace(question), "?？!！。. \t")
}

// assignIDs gives every entry and item its id: entries their explicit id
// or DerivedID; items "ENTRY.ITEM", their explicit id or number as ITEM.
// It also makes the targets.
func (kb *KB) assignIDs(all *Problems) {
	kb.byID = map[string]int{}
	where := map[string]string{}
	add := func(t Target, file string, line int) {
		if prev, ok := where[t.ID]; ok {
			problems{file: file, list: all}.add(line, "id %q is used twice (also at %s): give one of them an explicit id (<!-- id: ... -->)", t.ID, prev)
			return
		}
		where[t.ID] = fmt.Sprintf("%s line %d", file, line)
		kb.byID[t.ID] = len(kb.targets)
		kb.targets = append(kb.targets, t)
	}
	for i := range kb.ZH.Entries {
		z := &kb.ZH.Entries[i]
		if z.ID == "" {
			z.ID = DerivedID(z.Question)
		}
		add(Target{ID: z.ID, Entry: i}, z.File, z.Line)
		for j := range z.Items {
			it := &z.Items[j]
			part := it.ID
			if part == "" {
				part = fmt.Sprint(j + 1)
			}
			it.ID = z.ID + "." + part
			add(Target{ID: it.ID, Entry: i, Step: j + 1}, z.File, it.Line)
		}
		e := &kb.EN.Entries[i]
		if e != z {
			e.ID = z.ID
			for j := range e.Items {
				if j < len(z.Items) {
					e.Items[j].ID = z.Items[j].ID
				}
			}
		}
	}
}

// resolve points every rule at its target; unused says that the rules are
// the built-in ones with an operator's FAQ, so rules about questions of
// the built-in FAQ that this one does not have are left out.
func (kb *KB) resolve(all *Problems, unused bool) {
	rules := problems{file: kb.Rules.File, list: all}
	kept := kb.Rules.Intents[:0:0]
	dropped := 0
	for _, in := range kb.Rules.Intents {
		if in.Message != "" {
			if _, ok := kb.byID[in.ID]; ok {
				rules.add(in.Line, "intent %q answers with a message, but an FAQ entry or item has that id too", in.ID)
				continue
			}
			kb.byID[in.ID] = len(kb.targets)
			kb.targets = append(kb.targets, Target{ID: in.ID, Entry: -1, Message: in.Message})
			in.Target = in.ID
			kept = append(kept, in)
			continue
		}
		t, problem := kb.findTarget(in)
		if problem != "" {
			if unused {
				dropped++
				continue
			}
			rules.add(in.Line, "%s", problem)
			continue
		}
		in.Target = t.ID
		if in.ID != t.ID {
			if prev, ok := kb.byID[in.ID]; ok && kb.targets[prev].ID != t.ID {
				rules.add(in.Line, "intent %q answers with %q, but %q is also the id of %q", in.ID, t.ID, in.ID, kb.targets[prev].ID)
				continue
			}
			kb.byID[in.ID] = kb.byID[t.ID]
		}
		kept = append(kept, in)
	}
	kb.Rules.Intents = kept
	if dropped > 0 {
		kb.Notes = append(kb.Notes, fmt.Sprintf("%s: %d rules about the built-in FAQ's questions are not used with this FAQ", kb.Rules.File, dropped))
	}
}

// findTarget finds the entry or item a rule answers with: answer.entry (a
// question as written in a Chinese FAQ file, or an id) and answer.step,
// or else the entry or item whose id is the rule's id.
func (kb *KB) findTarget(in Intent) (Target, string) {
	if in.Entry == "" {
		i, ok := kb.byID[in.ID]
		if !ok || !kb.targets[i].IsEntry() {
			return Target{}, fmt.Sprintf("intent %q: no FAQ entry or item has the id %q; answer with entry: (its question or id) or message:", in.ID, in.ID)
		}
		return kb.targets[i], ""
	}
	idx := -1
	if i, ok := kb.ZH.Entry(in.Entry); ok {
		idx = i
	} else if i, ok := kb.byID[in.Entry]; ok && kb.targets[i].IsEntry() && kb.targets[i].Step == 0 {
		idx = kb.targets[i].Entry
	}
	if idx < 0 {
		return Target{}, fmt.Sprintf("intent %q answers with question %q, which no Chinese FAQ file has (as a question or an id)", in.ID, in.Entry)
	}
	e := &kb.ZH.Entries[idx]
	if in.Step > len(e.Items) {
		return Target{}, fmt.Sprintf("intent %q answers with %s %d of %q, which has %d", in.ID, e.Kind(), in.Step, e.Question, len(e.Items))
	}
	id := e.ID
	if in.Step > 0 {
		id = e.Items[in.Step-1].ID
	}
	return kb.targets[kb.byID[id]], ""
}

// Lookup returns the table row for a three-digit prefix.
func (kb *KB) Lookup(prefix string) (Prefix, bool) {
	p, ok := kb.prefixes[prefix]
	return p, ok
}

// HasTable reports whether the knowledge has a prefix table.
func (kb *KB) HasTable() bool { return len(kb.ZH.Prefixes) > 0 }

// FAQ returns the FAQ for lang, "zh" or "en".
func (kb *KB) FAQ(lang string) *FAQ {
	if lang == "en" {
		return kb.EN
	}
	return kb.ZH
}

// Entry returns entry i as readers of lang see it.
func (kb *KB) Entry(i int, lang string) *Entry { return &kb.FAQ(lang).Entries[i] }

// Targets lists every answer the bot can give: each entry followed by its
// items, in FAQ order, then the rules' messages.
func (kb *KB) Targets() []Target { return kb.targets }

// Target finds a target by its id, or by the id of a rule that answers
// with it.
func (kb *KB) Target(id string) (Target, bool) {
	i, ok := kb.byID[id]
	if !ok {
		return Target{}, false
	}
	return kb.targets[i], true
}

// Message returns one of the bot's texts in lang, falling back to Chinese,
// with the placeholders that describe the FAQ ({topics}, {topic_list},
// {example}, {checknum}) filled in.
func (kb *KB) Message(name, lang string) string {
	for _, l := range []string{lang, "zh"} {
		if s := kb.messages[name][l]; s != "" {
			return s
		}
		if s := kb.Rules.Messages[name][l]; s != "" {
			return s
		}
	}
	return ""
}

// Intent returns the rule with the given id.
func (kb *KB) Intent(id string) (*Intent, bool) {
	for i := range kb.Rules.Intents {
		if kb.Rules.Intents[i].ID == id {
			return &kb.Rules.Intents[i], true
		}
	}
	return nil, false
}

// Source returns where the file name was read from, "" when it was not.
func (kb *KB) Source(name string) string {
	for _, s := range kb.Sources {
		if s.Name == name {
			return s.From
		}
	}
	return ""
}

// Export writes the built-in files to dir, refusing to overwrite.
func Export(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("export knowledge: %w", err)
	}
	names, err := fs.Glob(Embedded(), "*")
	if err != nil {
		return nil, fmt.Errorf("export knowledge: %w", err)
	}
	var written []string
	for _, name := range names {
		b, err := fs.ReadFile(Embedded(), name)
		if err != nil {
			return written, fmt.Errorf("export knowledge: %w", err)
		}
		p := filepath.Join(dir, name)
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return written, fmt.Errorf("export knowledge: %w", err)
		}
		_, err = f.Write(b)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return written, fmt.Errorf("export knowledge: %w", err)
		}
		written = append(written, p)
	}
	return written, nil
}
