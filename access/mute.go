package access

import "github.com/bucketaudit/bucketaudit/model"

// Muter says whether a finding is accepted (a mutelist entry in force) and
// why. bucket is "" for an account's own findings.
type Muter interface {
	Mute(accountID, bucket, findingID string) (reason string, muted bool)
}

// MutableFindingIDs returns the IDs of the findings a mutelist may mute:
// every finding but assessment-incomplete, which says the report itself is
// not complete.
func MutableFindingIDs() []string {
	var ids []string
	for _, e := range model.Catalog() {
		if e.ID != model.FindingAssessmentIncomplete {
			ids = append(ids, e.ID)
		}
	}
	return ids
}

// muteFindings marks the findings that m mutes, with its reason.
func muteFindings(m Muter, fs []model.Finding) {
	if m == nil {
		return
	}
	for i := range fs {
		f := &fs[i]
		if f.ID == model.FindingAssessmentIncomplete {
			continue
		}
		if reason, ok := m.Mute(f.AccountID, f.Bucket, f.ID); ok {
			f.Muted, f.MuteReason = true, reason
		}
	}
}
