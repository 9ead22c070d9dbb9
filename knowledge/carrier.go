package knowledge

import "strings"

// CarrierKey maps a carrier as written in a table (Chinese or English) to a
// stable key: "mobile", "unicom", "telecom" or "broadnet". ok is false for a
// value that is not one of China's mobile carriers.
func CarrierKey(name string) (key string, ok bool) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "移动", "中国移动", "china mobile", "mobile", "cmcc":
		return "mobile", true
	case "联通", "中国联通", "china unicom", "unicom":
		return "unicom", true
	case "电信", "中国电信", "china telecom", "telecom":
		return "telecom", true
	case "广电", "中国广电", "china broadnet", "broadnet", "cbn":
		return "broadnet", true
	}
	return "", false
}

// CarrierName returns a carrier's name for lang ("zh" or "en"); a value that
// CarrierKey does not know is returned as it is.
func CarrierName(name, lang string) string {
	key, ok := CarrierKey(name)
	if !ok {
		return name
	}
	zh := map[string][2]string{
		"mobile":   {"移动", "China Mobile"},
		"unicom":   {"联通", "China Unicom"},
		"telecom":  {"电信", "China Telecom"},
		"broadnet": {"广电", "China Broadnet"},
	}[key]
	if lang == "en" {
		return zh[1]
	}
	return zh[0]
}

// parseValid reads the table's validity column.
func parseValid(s string) (valid, ok bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "有效", "是", "支持", "valid", "yes", "supported", "true":
		return true, true
	case "无效", "否", "不支持", "invalid", "no", "unsupported", "false":
		return false, true
	}
	return false, false
}
