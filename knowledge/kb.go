package knowledge

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
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
