package streetdesk

// Protocol features beyond v1. A platform lists those it accepts in every
// pull page (PullResponse.Features); a desk sends the matching optional
// fields only to a platform that listed them, because a platform of v1
// refuses a push with fields it does not know.
const (
	// FeatureAuditChain: pushes may carry PushRequest.Chain and the answer
	// acknowledges it in PushResponse.Chain.
	FeatureAuditChain = "auditChain"
	// FeatureEvidenceChecks: a submitResolution may carry
	// Mutation.EvidenceChecks.
	FeatureEvidenceChecks = "evidenceChecks"
	// FeaturePushBatch500: a push may carry up to MaxPushMutationsLarge
	// mutations in up to MaxPushBytesLarge bytes (v1: MaxPushMutations in
	// MaxPushBytes). Fewer round trips and commits per push; what a batch
	// guarantees is unchanged (every mutation once, by its key).
	FeaturePushBatch500 = "pushBatch500"
	// FeaturePushBatch1000: a push may carry up to MaxPushMutationsXL
	// mutations and MaxPushChainEntriesXL action-log entries in up to
	// MaxPushBytesXL bytes: a queue of 1,000 goes in one round trip, one
	// transaction on each side. A platform that lists it lists
	// FeaturePushBatch500 too (desks that know only that one keep it).
	FeaturePushBatch1000 = "pushBatch1000"
)

// The bounds of one push for a platform that lists FeaturePushBatch500.
const (
	MaxPushMutationsLarge = 500
	MaxPushBytesLarge     = 1 << 20
)

// MaxPushChainEntries bounds the action-log entries of one push.
const MaxPushChainEntries = 500

// The bounds of one push for a platform that lists FeaturePushBatch1000.
const (
	MaxPushMutationsXL    = 1000
	MaxPushChainEntriesXL = 1000
	MaxPushBytesXL        = 2 << 20
)

// ChainAck acknowledges stored action-log entries: every entry of the push
// up to Seq, whose hash is Hash, is kept by the platform (an entry it had
// already is acknowledged again).
type ChainAck struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
}

// HasFeature reports whether features lists f.
func HasFeature(features []string, f string) bool {
	for _, x := range features {
		if x == f {
			return true
		}
	}
	return false
}
