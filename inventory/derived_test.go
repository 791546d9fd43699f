package inventory

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/bucketaudit/bucketaudit/internal/awsid"
)

// The derived defaults are the digits of their documented texts (as
// fmt.Sprintf and hex.EncodeToString wrote them), and KeyRegion reads the
// region of exactly the ARNs kmsKeyARNRe matches.
// https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#key-id-key-ARN
func TestDerivedDefaults(t *testing.T) {
	derived := func(kind, value string, n int) string {
		sum := sha256.Sum256([]byte("bucketaudit/" + kind + "/" + value))
		return hex.EncodeToString(sum[:])[:n]
	}
	for _, id := range []string{"111122223333", "000000000000", ""} {
		if got, want := DefaultCanonicalID(id), derived("canonical-user", id, 64); got != want {
			t.Errorf("DefaultCanonicalID(%q) = %s, want %s", id, got, want)
		}
		if got, want := DefaultVPCID("vpce-"+id), "vpc-"+derived("vpc", "vpce-"+id, 17); got != want {
			t.Errorf("DefaultVPCID = %s, want %s", got, want)
		}
		for _, region := range []string{"us-east-1", "cn-north-1", "us-gov-west-1"} {
			h := derived("aws-s3-key", id+"/"+region, 32)
			arn := awsid.KMSKey(region, id, fmt.Sprintf("%s-%s-%s-%s-%s", h[0:8], h[8:12], h[12:16], h[16:20], h[20:32]))
			if got := AWSManagedS3KeyARN(id, region); got != arn {
				t.Errorf("AWSManagedS3KeyARN(%q, %s) = %s, want %s", id, region, got, arn)
			}
			for _, i := range []int{0, 1, 12, 345} {
				if got, want := DefaultGrantID(arn, i), derived("kms-grant", fmt.Sprintf("%s#%d", arn, i), 64); got != want {
					t.Errorf("DefaultGrantID(%d) = %s, want %s", i, got, want)
				}
			}
		}
	}
	long := string(make([]byte, 300)) // beyond derivedHex's stack room
	if got, want := DefaultCanonicalID(long), derived("canonical-user", long, 64); got != want {
		t.Errorf("DefaultCanonicalID of a long ID = %s, want %s", got, want)
	}

	regionOf := func(arn string) string {
		if m := kmsKeyARNRe.FindStringSubmatch(arn); m != nil {
			return m[1]
		}
		return ""
	}
	arns := []string{
		"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
		"arn:aws-cn:kms:cn-north-1:111122223333:key/k", "arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/K-1",
		"arn:aws:kms:us-east-1:111122223333:alias/aws/s3", "arn:aws:kms:us-east-1:11112222333:key/k", "arn:aws:kms:us-east-1:1111222233334:key/k",
		"arn:aws:kms::111122223333:key/k", "arn:aws:kms:US-EAST-1:111122223333:key/k", "arn:aws:kms:us-east-1:111122223333:key/",
		"arn:aws:kms:us-east-1:111122223333:key/a/b", "arn:aws:kms:us-east-1:111122223333:key/a_b", "arn:awsX:kms:us-east-1:111122223333:key/k",
		"arn:aws:s3:us-east-1:111122223333:key/k", "arn:aws:kms:us-east-1:111122223333:key/k\n", "xarn:aws:kms:us-east-1:111122223333:key/k",
		"arn:aws-:kms:a:111122223333:key/-", "arn:aws:kms:us-east-1:11112222333a:key/k", "", "arn:aws", "arn:aws:kms:r:111122223333:key/é",
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const alphabet = "arn:awskmsus-east-1:0123456789key/ABZaz-_é:"
	for range 20000 {
		b := []byte(arns[rng.IntN(3)])
		for range 1 + rng.IntN(3) {
			i := rng.IntN(len(b) + 1)
			switch rng.IntN(3) {
			case 0: // insert
				b = append(b[:i], append([]byte{alphabet[rng.IntN(len(alphabet))]}, b[i:]...)...)
			case 1: // delete
				if i < len(b) {
					b = append(b[:i], b[i+1:]...)
				}
			default: // replace
				if i < len(b) {
					b[i] = alphabet[rng.IntN(len(alphabet))]
				}
			}
		}
		arns = append(arns, string(b))
	}
	for _, arn := range arns {
		if got, want := KeyRegion(arn), regionOf(arn); got != want {
			t.Errorf("KeyRegion(%q) = %q, want %q", arn, got, want)
		}
	}
}
