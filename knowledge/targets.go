package knowledge

import (
	"fmt"
	"strings"
)

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

// Family is the id of the entry a target belongs to: an entry's own id for
// the entry and each of its steps and cases; other ids (the rules' own
// intents) as they are.
func (kb *KB) Family(id string) string {
	if t, ok := kb.Target(id); ok && t.IsEntry() {
		return kb.ZH.Entries[t.Entry].ID
	}
	return id
}
