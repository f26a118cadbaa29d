package streetdesk

import "strings"

// SearchText is what a text search looks in for an order, besides its
// notes: the order number (citizens quote it on the phone), title,
// complaint, address and community, the duty-list category's three names
// and its department, and the citizen's name and phone as the desk shows
// them (masked: the visible digits match).
func (w *WorkOrder) SearchText() string {
	c := w.Category
	return strings.Join([]string{w.ID, w.Title, w.Complaint, w.Location.Address, w.Location.Community,
		c.L1Name, c.L2Name, c.L3Name, c.Department, w.Citizen.Name, MaskPhone(w.Citizen.Phone)}, "\n")
}

// SearchWord is the form in which a word typed into the search box is
// looked for: a full mobile number (what the citizen says on the phone)
// becomes its masked form, the only one an order keeps; any other word is
// itself.
func SearchWord(word string) string {
	if len(word) == 11 && word[0] == '1' && strings.Trim(word, "0123456789") == "" {
		return MaskPhone(word)
	}
	return word
}

// MatchesSearch reports whether every word of query (separated by spaces)
// is in the order's SearchText or one of its notes, ignoring case: the rule
// the local store's index implements.
func (w *WorkOrder) MatchesSearch(query string, notes ...string) bool {
	text := strings.ToLower(w.SearchText() + "\n" + strings.Join(notes, "\n"))
	for _, word := range strings.Fields(query) {
		if !strings.Contains(text, strings.ToLower(SearchWord(word))) {
			return false
		}
	}
	return true
}
