package knowledge

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

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
