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
	"path/filepath"
	"time"
)

// The knowledge files, by the names they have in a KB_DIR folder.
const (
	FileZH    = "faq.zh.md"
	FileEN    = "faq.en.md"
	FileRules = "intents.yaml"
)

// Files lists the knowledge files in the order they are loaded.
var Files = []string{FileZH, FileEN, FileRules}

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

// KB is a validated, read-only knowledge base: the FAQ in Chinese and
// English, the prefix table and the intent rules.
type KB struct {
	ZH, EN *FAQ
	Rules  *Rules
	// Version identifies the content (a hash of the three files).
	Version  string
	LoadedAt time.Time
	// Sources tells where each file came from: "embedded" or a path.
	Sources map[string]string

	prefixes map[string]Prefix
}

// Load reads, parses and validates the three files from fsys.
func Load(fsys fs.FS) (*KB, error) {
	return load(func(name string) ([]byte, string, error) {
		b, err := fs.ReadFile(fsys, name)
		return b, name, err
	})
}

// LoadDir loads the files from dir; a file missing there is taken from the
// embedded defaults, and Sources says so.
func LoadDir(dir string) (*KB, error) {
	return load(func(name string) ([]byte, string, error) {
		p := filepath.Join(dir, name)
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			b, err = fs.ReadFile(Embedded(), name)
			return b, "embedded", err
		}
		return b, p, err
	})
}

// Default loads the embedded knowledge.
func Default() (*KB, error) { return Load(Embedded()) }

func load(read func(name string) ([]byte, string, error)) (*KB, error) {
	kb := &KB{Sources: map[string]string{}, LoadedAt: time.Now()}
	srcs := map[string][]byte{}
	h := sha256.New()
	for _, name := range Files {
		b, from, err := read(name)
		if err != nil {
			return nil, fmt.Errorf("load knowledge: %w", err)
		}
		srcs[name] = b
		kb.Sources[name] = from
		h.Write(b)
	}
	kb.Version = hex.EncodeToString(h.Sum(nil))[:12]
	var all Problems
	collect := func(err error) {
		var ps Problems
		if errors.As(err, &ps) {
			all = append(all, ps...)
		} else if err != nil {
			all = append(all, Problem{Msg: err.Error()})
		}
	}
	var err error
	kb.ZH, err = ParseFAQ(FileZH, bytes.NewReader(srcs[FileZH]))
	collect(err)
	kb.EN, err = ParseFAQ(FileEN, bytes.NewReader(srcs[FileEN]))
	collect(err)
	kb.Rules, err = ParseRules(FileRules, bytes.NewReader(srcs[FileRules]))
	collect(err)
	if len(all) > 0 {
		return nil, all
	}
	kb.check(&all)
	if len(all) > 0 {
		return nil, all
	}
	kb.prefixes = make(map[string]Prefix, len(kb.ZH.Prefixes))
	for _, p := range kb.ZH.Prefixes {
		kb.prefixes[p.Prefix] = p
	}
	return kb, nil
}

// check validates the files against each other.
func (kb *KB) check(all *Problems) {
	zh := problems{file: FileZH, list: all}
	en := problems{file: FileEN, list: all}
	rules := problems{file: FileRules, list: all}
	if kb.ZH.TableLine == 0 {
		zh.add(0, "no prefix table (<table> with 运营商, 支持号段, 是否有效 columns)")
	}
	if len(kb.EN.Entries) != len(kb.ZH.Entries) {
		en.add(0, "has %d questions but %s has %d: keep the two files in step", len(kb.EN.Entries), FileZH, len(kb.ZH.Entries))
	} else {
		for i := range kb.ZH.Entries {
			z, e := &kb.ZH.Entries[i], &kb.EN.Entries[i]
			if len(z.Items) != len(e.Items) || z.Ordered != e.Ordered {
				en.add(e.Line, "question %q has %d %ss but its Chinese original %q (line %d) has %d %ss",
					e.Question, len(e.Items), e.Kind(), z.Question, z.Line, len(z.Items), z.Kind())
				continue
			}
			for j := range z.Items {
				if z.Items[j].Table != e.Items[j].Table {
					en.add(e.Items[j].Line, "the prefix table is not in the same %s as in %s", e.Kind(), FileZH)
				}
			}
		}
	}
	if kb.EN.TableLine != 0 {
		if len(kb.EN.Prefixes) != len(kb.ZH.Prefixes) {
			en.add(kb.EN.TableLine, "prefix table has %d rows but %s has %d", len(kb.EN.Prefixes), FileZH, len(kb.ZH.Prefixes))
		} else {
			for i, z := range kb.ZH.Prefixes {
				e := kb.EN.Prefixes[i]
				zk, _ := CarrierKey(z.Carrier)
				ek, _ := CarrierKey(e.Carrier)
				if z.Prefix != e.Prefix || zk != ek || z.Valid != e.Valid {
					en.add(e.Line, "prefix row %s %s differs from %s line %d (%s %s)", e.Prefix, e.Carrier, FileZH, z.Line, z.Prefix, z.Carrier)
				}
			}
		}
	}
	for _, in := range kb.Rules.Intents {
		if in.Entry == "" {
			continue
		}
		i, ok := kb.ZH.Entry(in.Entry)
		if !ok {
			rules.add(in.Line, "intent %q answers with question %q, which %s does not have", in.ID, in.Entry, FileZH)
			continue
		}
		e := &kb.ZH.Entries[i]
		if in.Step > len(e.Items) {
			rules.add(in.Line, "intent %q answers with %s %d of %q, which has %d", in.ID, e.Kind(), in.Step, in.Entry, len(e.Items))
		}
	}
}

// Lookup returns the table row for a three-digit prefix.
func (kb *KB) Lookup(prefix string) (Prefix, bool) {
	p, ok := kb.prefixes[prefix]
	return p, ok
}

// FAQ returns the FAQ for lang, "zh" or "en".
func (kb *KB) FAQ(lang string) *FAQ {
	if lang == "en" {
		return kb.EN
	}
	return kb.ZH
}

// Message returns one of the bot's texts in lang, falling back to Chinese.
func (kb *KB) Message(name, lang string) string {
	m := kb.Rules.Messages[name]
	if s := m[lang]; s != "" {
		return s
	}
	return m["zh"]
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

// Export writes the embedded files to dir, refusing to overwrite.
func Export(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("export knowledge: %w", err)
	}
	var written []string
	for _, name := range Files {
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
