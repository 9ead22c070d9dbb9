package match

import (
	"bytes"
	"fmt"
	"os"
	"testing"

	"github.com/longbridgeapp/opencc"
)

// twPhrasesTable writes twphrases.txt from OpenCC's tw2sp conversion: its
// Taiwan phrases dictionary, each phrase with the mainland one it means.
func twPhrasesTable(t *testing.T) []byte {
	t.Helper()
	cc, err := opencc.New("tw2sp")
	if err != nil {
		t.Fatal(err)
	}
	g := cc.DictChains[0]
	if g.Files[0] != "TWPhrasesRev.ocd2" {
		t.Fatalf("OpenCC's tw2sp dictionary is %s, not TWPhrasesRev.ocd2", g.Files[0])
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# OpenCC's Taiwan phrases with the mainland phrases they mean, from\n")
	fmt.Fprintf(&b, "# github.com/longbridgeapp/opencc %s (Apache License 2.0): TWPhrasesRev, sorted.\n",
		moduleVersion(t, "github.com/longbridgeapp/opencc"))
	fmt.Fprintf(&b, "# Generated, do not edit: go test ./bot/match -run TestTaiwanPhrasesTable -update\n")
	for _, e := range dictEntries(t, g.Dicts[0]) {
		fmt.Fprintf(&b, "%s\t%s\n", e[0], e[1])
	}
	return b.Bytes()
}

func TestTaiwanPhrasesTable(t *testing.T) {
	want := twPhrasesTable(t)
	if *update {
		if err := os.WriteFile("twphrases.txt", want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if twPhrasesData != string(want) {
		t.Error("twphrases.txt differs from the OpenCC module's dictionary: go test ./bot/match -run TestTaiwanPhrasesTable -update")
	}
}

func TestTaiwanPhrasesAreSynonyms(t *testing.T) {
	norm, _ := NewNormalizer()
	found := false
	for _, g := range synonymGroups(norm, nil) {
		if len(g) == 2 && g[0] == norm.Normalize("網路") && g[1] == "网络" {
			found = true
		}
	}
	if !found {
		t.Error("網路 and 网络 are not synonyms")
	}
}
