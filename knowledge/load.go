package knowledge

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
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

// readFile reads name from s; ok is false when s has no such file.
func readFile(s fsSource, name string) (f file, ok bool, err error) {
	b, err := fs.ReadFile(s.fsys, name)
	if errors.Is(err, fs.ErrNotExist) {
		return file{}, false, nil
	}
	if err != nil {
		return file{}, false, fmt.Errorf("load knowledge: %w", err)
	}
	return file{name: name, shown: s.name(name), from: s.from(name), data: b}, true, nil
}

// loader is one load in progress: the knowledge it builds, the problems
// found so far and the hash of the files read, which becomes the version.
type loader struct {
	kb   *KB
	all  Problems
	hash hash.Hash
}

// load reads the FAQ files and the rules of src, and then, when no file
// has a problem, puts them together; otherwise it returns every problem.
func load(src fsSource) (*KB, error) {
	l := &loader{kb: &KB{LoadedAt: time.Now()}, hash: sha256.New()}
	faqSrc, pairs, err := l.readFAQs(src)
	if err != nil {
		return nil, err
	}
	builtinRules, err := l.readRules(src)
	if err != nil {
		return nil, err
	}
	if len(l.all) > 0 {
		return nil, l.all
	}
	return l.assemble(pairs, builtinRules && !faqSrc.builtin)
}

// collect adds the problems of err, or err itself, to those found.
func (l *loader) collect(err error) {
	var ps Problems
	if errors.As(err, &ps) {
		l.all = append(l.all, ps...)
	} else if err != nil {
		l.all = append(l.all, Problem{Msg: err.Error()})
	}
}

// record lists f in Sources and adds it to the version hash.
func (l *loader) record(f file) {
	l.kb.Sources = append(l.kb.Sources, Source{f.name, f.from})
	fmt.Fprintf(l.hash, "%s\x00%d\x00", f.name, len(f.data))
	l.hash.Write(f.data)
}

// readFAQs reads and parses the FAQ files of src, each Chinese file with
// its English twin, or the built-in FAQ when src has none; faqSrc is where
// they were read. An English file without its Chinese original is a
// problem.
func (l *loader) readFAQs(src fsSource) (faqSrc fsSource, pairs [][2]*FAQ, err error) {
	zhNames, orphans, err := faqFiles(src.fsys)
	if err != nil {
		return src, nil, fmt.Errorf("load knowledge: %w", err)
	}
	for _, o := range orphans {
		l.all = append(l.all, Problem{File: src.name(o), Msg: "an English FAQ file needs its Chinese original " + strings.TrimSuffix(o, ".en.md") + ".zh.md"})
	}
	faqSrc = src
	if len(zhNames) == 0 {
		faqSrc = builtinSource()
		zhNames = []string{FileZH}
	}
	for _, zn := range zhNames {
		pair, ok, err := l.readPair(faqSrc, zn)
		if err != nil {
			return faqSrc, nil, err
		}
		if ok {
			pairs = append(pairs, pair)
		}
	}
	return faqSrc, pairs, nil
}

// readPair reads and parses the Chinese FAQ file zn of s and its English
// twin, when there is one (pair[1] is nil otherwise); ok is false when s
// has no zn.
func (l *loader) readPair(s fsSource, zn string) (pair [2]*FAQ, ok bool, err error) {
	zf, ok, err := readFile(s, zn)
	if err != nil || !ok {
		return pair, false, err
	}
	ef, hasEN, err := readFile(s, strings.TrimSuffix(zn, ".zh.md")+".en.md")
	if err != nil {
		return pair, false, err
	}
	files := []file{zf}
	if hasEN {
		files = append(files, ef)
	}
	for i, f := range files {
		l.record(f)
		faq, err := ParseFAQ(f.shown, bytes.NewReader(f.data))
		l.collect(err)
		pair[i] = faq
	}
	return pair, true, nil
}

// readRules reads and parses the intents.yaml of src, or the built-in one
// when src has none; it is the last file of the version, which it sets.
// The built-in rules must have every message the bot says; an operator's
// take those they do not set from the built-in ones. builtin reports that
// the rules are the built-in ones.
func (l *loader) readRules(src fsSource) (builtin bool, err error) {
	rf, ok, err := readFile(src, FileRules)
	if err != nil {
		return false, err
	}
	builtin = !ok || src.builtin
	if !ok {
		rf, _, err = readFile(builtinSource(), FileRules)
		if err != nil {
			return false, err
		}
	}
	l.record(rf)
	l.kb.Version = hex.EncodeToString(l.hash.Sum(nil))[:12]
	l.kb.Rules, err = ParseRules(rf.shown, bytes.NewReader(rf.data))
	l.collect(err)
	switch {
	case l.kb.Rules == nil:
	case builtin:
		l.kb.Rules.checkRequired(&l.all)
	default:
		if err := l.fillMessages(rf.shown); err != nil {
			return false, err
		}
	}
	return builtin, nil
}

// fillMessages gives the operator's rules, read from the file shown, the
// bot's messages they do not set, from the built-in rules, and notes
// which those are.
func (l *loader) fillMessages(shown string) error {
	bf, _, err := readFile(builtinSource(), FileRules)
	if err != nil {
		return err
	}
	builtin, err := ParseRules(bf.shown, bytes.NewReader(bf.data))
	if err != nil {
		return fmt.Errorf("load knowledge: %w", err)
	}
	if filled := l.kb.Rules.fillMessages(builtin); len(filled) > 0 {
		l.kb.Notes = append(l.kb.Notes, fmt.Sprintf("%s: %d of the bot's messages are not set there; the built-in ones are used (%s)",
			shown, len(filled), strings.Join(filled, ", ")))
	}
	return nil
}

// assemble makes the KB of the parsed files: it merges the FAQ pairs,
// points the rules at their answers (unused as for resolve) and builds
// the lookups.
func (l *loader) assemble(pairs [][2]*FAQ, unused bool) (*KB, error) {
	kb := l.kb
	kb.merge(pairs, &l.all)
	if len(l.all) > 0 {
		return nil, l.all
	}
	kb.resolve(&l.all, unused)
	if len(l.all) > 0 {
		return nil, l.all
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
	if n := min(len(enf.Entries), len(zhf.Entries)); len(enf.Entries) != len(zhf.Entries) {
		// Point at the first question without its twin.
		if len(zhf.Entries) > n {
			z := &zhf.Entries[n]
			zh := problems{file: zhf.File, list: all}
			zh.add(z.Line, "question %q has no English twin: %s has %d questions, this file %d; add it there, or delete %s (English readers then get the Chinese answers)",
				z.Question, enf.File, len(enf.Entries), len(zhf.Entries), enf.File)
		} else {
			e := &enf.Entries[n]
			en.add(e.Line, "question %q has no Chinese original: %s has %d questions, this file %d; keep the two files in step",
				e.Question, zhf.File, len(zhf.Entries), len(enf.Entries))
		}
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
