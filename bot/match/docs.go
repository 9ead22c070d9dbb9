package match

import (
	_ "embed"
	"slices"
	"strings"
	"sync"

	"github.com/supportbot/supportbot/bot/retrieval"
	"github.com/supportbot/supportbot/knowledge"
)

// retrievalDocs are the FAQ's entries as the retrieval index reads them:
// every phrasing of each question (both languages' headings and the
// operator's also: phrasings), the answer's text, and each step or case.
func retrievalDocs(kb *knowledge.KB, norm *Normalizer) []retrieval.Doc {
	docs := make([]retrieval.Doc, len(kb.ZH.Entries))
	for i := range kb.ZH.Entries {
		versions := []*knowledge.Entry{&kb.ZH.Entries[i]}
		if en := &kb.EN.Entries[i]; en.Lang == "en" {
			versions = append(versions, en)
		}
		d := &docs[i]
		d.Parts = make([]retrieval.Part, len(versions[0].Items))
		for _, e := range versions {
			d.Titles = append(d.Titles, norm.Normalize(e.Question))
			for _, a := range e.Also {
				d.Titles = append(d.Titles, norm.Normalize(a))
			}
			for _, t := range e.Intro {
				d.Body = append(d.Body, norm.Normalize(t.Plain()))
			}
			for _, t := range e.Outro {
				d.Body = append(d.Body, norm.Normalize(t.Plain()))
			}
			for j, it := range e.Items {
				if j >= len(d.Parts) {
					break
				}
				p := &d.Parts[j]
				for _, a := range it.Also {
					p.Titles = append(p.Titles, norm.Normalize(a))
				}
				p.Body = append(p.Body, norm.Normalize(it.Text.Plain()))
				for _, s := range it.Sub {
					p.Body = append(p.Body, norm.Normalize(s.Plain()))
				}
			}
		}
	}
	return docs
}

// twphrases.txt lists Taiwan phrases with the mainland phrases they mean
// (網路 for 网络, 帳號 for 账号): a message in Taiwan's words meets an FAQ
// in the mainland's. Generated from the OpenCC module, and held to it by
// a test:
//
//	go test ./bot -run TestTaiwanPhrasesTable -update
//
//go:embed twphrases.txt
var twPhrasesData string

// synonymGroups are the retrieval index's synonyms: the built-in everyday
// words, the Taiwan phrases and the operator's own (intents.yaml
// synonyms:), normalised. Without the operator's, the groups are made
// once (normalising is the same with any Normalizer), so that the index
// can keep their table from one load to the next.
func synonymGroups(norm *Normalizer, own [][]string) [][]string {
	if len(own) == 0 {
		return defaultGroups(norm)
	}
	return append(slices.Clone(defaultGroups(norm)), normalizeGroups(norm, own)...)
}

var (
	defaultOnce sync.Once
	defaults    [][]string
)

func defaultGroups(norm *Normalizer) [][]string {
	defaultOnce.Do(func() { defaults = builtinGroups(norm) })
	return defaults
}

func normalizeGroups(norm *Normalizer, groups [][]string) [][]string {
	var out [][]string
	for _, g := range groups {
		var ng []string
		for _, m := range g {
			ng = append(ng, norm.Normalize(m))
		}
		out = append(out, ng)
	}
	return out
}

func builtinGroups(norm *Normalizer) [][]string {
	groups := normalizeGroups(norm, retrieval.Synonyms())
	for line := range strings.SplitSeq(twPhrasesData, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		tw, cn, ok := strings.Cut(line, "\t")
		if !ok {
			continue
		}
		a, b := norm.Normalize(tw), norm.Normalize(cn)
		if a != b && !strings.Contains(a, " ") && !strings.Contains(b, " ") {
			groups = append(groups, []string{a, b})
		}
	}
	return groups
}
