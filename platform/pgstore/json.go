package pgstore

import "encoding/json"

// jsonOf is the stored form of an entity: the JSON of its wire shape, kept
// as text so a pull page copies it as it is.
func jsonOf(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}
