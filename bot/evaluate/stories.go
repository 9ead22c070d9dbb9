package evaluate

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/match"
	"go.yaml.in/yaml/v3"
)

// Story is a conversation test: what a user says, in order, and what each
// answer must be, like Rasa's test stories.
type Story struct {
	Name  string      `yaml:"name"`
	Steps []StoryStep `yaml:"steps"`
}

// StoryStep is one message and what its answer must be.
type StoryStep struct {
	User     string   `yaml:"user"`               // the message
	Lang     string   `yaml:"lang,omitempty"`     // the channel's language hint
	Intent   string   `yaml:"intent,omitempty"`   // the answer's intent
	Contains []string `yaml:"contains,omitempty"` // each must be in the answer
	Absent   []string `yaml:"absent,omitempty"`   // none may be in the answer
	Silent   bool     `yaml:"silent,omitempty"`   // the bot must say nothing
	Resolve  bool     `yaml:"resolve,omitempty"`  // before the message, an agent resolves the handoff
}

// ParseStories reads a stories file.
func ParseStories(r io.Reader) ([]Story, error) {
	var f struct {
		Stories []Story `yaml:"stories"`
	}
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("stories: %w", err)
	}
	return f.Stories, nil
}

// StoryResult is how one story went.
type StoryResult struct {
	Name     string `json:"name"`
	Passed   bool   `json:"passed"`
	Step     int    `json:"failed_step,omitempty"` // 1-based
	Problem  string `json:"problem,omitempty"`
	Answered string `json:"answer,omitempty"`
}

// RunStory plays a story as a new user; the bot must keep conversations
// (WithConversations) for stories with more than one step to make sense.
func RunStory(ctx context.Context, b *bot.Bot, user string, s Story) StoryResult {
	res := StoryResult{Name: s.Name, Passed: true}
	handoff := ""
	for i, st := range s.Steps {
		if st.Resolve && handoff != "" {
			if err := b.Resolve(ctx, handoff); err != nil {
				return fail(res, i, "resolve: "+err.Error(), "")
			}
		}
		r := b.Respond(ctx, bot.Message{Channel: "story", User: user, Text: st.User, Lang: st.Lang})
		if r.HandoffID != "" {
			handoff = r.HandoffID
		}
		text := r.PlainText()
		switch {
		case st.Silent != r.Silent:
			return fail(res, i, fmt.Sprintf("silent = %v, want %v", r.Silent, st.Silent), text)
		case st.Intent != "" && r.Intent != st.Intent:
			return fail(res, i, fmt.Sprintf("intent %s, want %s", r.Intent, st.Intent), text)
		}
		for _, c := range st.Contains {
			if !strings.Contains(text, c) {
				return fail(res, i, fmt.Sprintf("answer lacks %q", c), text)
			}
		}
		for _, c := range st.Absent {
			if strings.Contains(text, c) {
				return fail(res, i, fmt.Sprintf("answer has %q", c), text)
			}
		}
	}
	return res
}

func fail(r StoryResult, step int, problem, answer string) StoryResult {
	r.Passed, r.Step, r.Problem, r.Answered = false, step+1, problem, match.TruncateRunes(answer, 300)
	return r
}
