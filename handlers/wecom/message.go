package wecom

import (
	"encoding/xml"
	"fmt"
)

// envelope is the encrypted callback body.
type envelope struct {
	XMLName    xml.Name `xml:"xml"`
	ToUserName string   `xml:"ToUserName"`
	AgentID    string   `xml:"AgentID"`
	Encrypt    string   `xml:"Encrypt"`
}

// message is a decrypted callback message or event.
type message struct {
	XMLName      xml.Name `xml:"xml"`
	ToUserName   string   `xml:"ToUserName"`
	FromUserName string   `xml:"FromUserName"`
	CreateTime   int64    `xml:"CreateTime"`
	MsgType      string   `xml:"MsgType"`
	Content      string   `xml:"Content"`
	MsgID        string   `xml:"MsgId"`
	AgentID      string   `xml:"AgentID"`
	Event        string   `xml:"Event"`
	// 微信客服: the sync token and the account the event is about.
	Token    string `xml:"Token"`
	OpenKfID string `xml:"OpenKfId"`
	// template_card_event: the button pressed, on which card, and the
	// code that lets the card be updated once.
	EventKey     string `xml:"EventKey"`
	TaskID       string `xml:"TaskId"`
	CardType     string `xml:"CardType"`
	ResponseCode string `xml:"ResponseCode"`
}

func parseMessage(b []byte) (message, error) {
	var m message
	if err := xml.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("message XML: %w", err)
	}
	return m, nil
}

// cdata is a string written as <![CDATA[...]]>.
type cdata struct {
	Text string `xml:",cdata"`
}

// replyText is the plaintext of a passive text reply.
type replyText struct {
	XMLName      xml.Name `xml:"xml"`
	ToUserName   cdata    `xml:"ToUserName"`
	FromUserName cdata    `xml:"FromUserName"`
	CreateTime   int64    `xml:"CreateTime"`
	MsgType      cdata    `xml:"MsgType"`
	Content      cdata    `xml:"Content"`
}

// replyEnvelope is the encrypted passive reply.
type replyEnvelope struct {
	XMLName      xml.Name `xml:"xml"`
	Encrypt      cdata    `xml:"Encrypt"`
	MsgSignature cdata    `xml:"MsgSignature"`
	TimeStamp    string   `xml:"TimeStamp"`
	Nonce        cdata    `xml:"Nonce"`
}
