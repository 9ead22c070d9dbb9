// Package knowledge holds the support FAQ, the prefix table and the intent
// rules: it parses the files operators edit, validates them with file:line
// errors and offers read-only lookups. It knows nothing about channels.
//
// Its files:
//
//	kb.go         KB and its lookups; Load, LoadDir, Default; the built-in files, Export
//	load.go       reading a folder: the FAQ pairs and the rules, merging them into a KB
//	targets.go    the answers (Target): entry and item ids, each rule pointed at its answer
//	faq.go        the FAQ's types: Entry, Item, Text, Prefix
//	parse.go      ParseFAQ: the Markdown of one FAQ file into entries and items
//	table.go      the prefix table, an HTML <table> in an answer
//	meta.go       the <!-- id: ...; also: ...; asks: ... --> comments
//	carrier.go    carrier names and the table's validity column
//	rules.go      the rule types; the bot's messages, checked or taken from the built-in rules
//	ruleparse.go  ParseRules: decoding and checking intents.yaml
//	yaml.go       strict YAML decoding and the lines of nodes and syntax errors
//	messages.go   the FAQ placeholders of messages ({topics}, {topic_list}, {example})
//	errors.go     Problem and Problems, the file:line errors
//	data/         the built-in faq.zh.md, faq.en.md and intents.yaml
package knowledge
