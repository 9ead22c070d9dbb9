package wecom

import "context"

// TemplateCard is a button_interaction template card: a title, a text
// and up to six buttons, each pressed once with its key coming back in a
// template_card_event callback.
type TemplateCard struct {
	CardType     string       `json:"card_type"` // "button_interaction"
	MainTitle    *CardTitle   `json:"main_title,omitempty"`
	SubTitleText string       `json:"sub_title_text,omitempty"`
	TaskID       string       `json:"task_id"` // unique per app: digits, letters, _-@; at most 128 bytes
	ButtonList   []CardButton `json:"button_list"`
}

// CardTitle is a card's main title.
type CardTitle struct {
	Title string `json:"title"`
	Desc  string `json:"desc,omitempty"`
}

// CardButton is one button of a card; Key (at most 1024 bytes) is what
// the callback's EventKey says when it is pressed.
type CardButton struct {
	Text  string `json:"text"`
	Style int    `json:"style,omitempty"` // 1 to 4
	Key   string `json:"key"`
}

// Limits of a button_interaction card.
const (
	maxCardButtons = 6
	maxCardKey     = 1024
)

// SendCard sends a template card to one user of the app.
func (c *Client) SendCard(ctx context.Context, secret string, agentID int, user string, card TemplateCard) error {
	body := map[string]any{"touser": user, "msgtype": "template_card", "agentid": agentID, "template_card": card}
	var resp baseResp
	return c.call(ctx, secret, "/cgi-bin/message/send", body, &resp)
}

// UpdateCardButton turns the buttons of the card a user pressed into one
// that cannot be pressed again, saying name; responseCode is the
// callback's, good for one update.
func (c *Client) UpdateCardButton(ctx context.Context, secret string, agentID int, user, responseCode, name string) error {
	body := map[string]any{"userids": []string{user}, "agentid": agentID, "response_code": responseCode,
		"button": map[string]string{"replace_name": name}}
	var resp baseResp
	return c.call(ctx, secret, "/cgi-bin/message/update_template_card", body, &resp)
}
