package bot

import (
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
