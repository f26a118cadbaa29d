package streetdesk

import "strings"

// MaskPhone masks a citizen's phone number as the platforms do: 138****1234.
// Numbers too short to mask keep only their last two digits visible.
func MaskPhone(phone string) string {
	p := strings.TrimSpace(phone)
	r := []rune(p)
	switch {
	case len(r) == 0:
		return ""
	case strings.Contains(p, "*"):
		return p
	case len(r) >= 11:
		return string(r[:3]) + "****" + string(r[len(r)-4:])
	case len(r) > 4:
		return strings.Repeat("*", len(r)-2) + string(r[len(r)-2:])
	default:
		return strings.Repeat("*", len(r))
	}
}

// MaskName keeps a citizen's surname and replaces the rest: 张** .
func MaskName(name string) string {
	r := []rune(strings.TrimSpace(name))
	if len(r) == 0 {
		return ""
	}
	if len(r) == 1 {
		return string(r)
	}
	return string(r[0]) + strings.Repeat("*", len(r)-1)
}
