package scanner

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/bucketaudit/bucketaudit/inventory"
)

func TestResolveKeyRef(t *testing.T) {
	kms := func(id string) *inventory.Encryption {
		return &inventory.Encryption{Algorithm: inventory.AlgorithmKMS, KMSKeyID: id}
	}
	tests := []struct {
		name string
		enc  *inventory.Encryption
		want KeyRef
		ok   bool
	}{
		{"no encryption read", nil, KeyRef{}, false},
		{"SSE-S3", &inventory.Encryption{Algorithm: inventory.AlgorithmAES256}, KeyRef{}, false},
		{"aws/s3 implied", kms(""), KeyRef{"222222222222", "eu-west-1", "alias/aws/s3"}, true},
		{"DSSE with key ID", &inventory.Encryption{Algorithm: inventory.AlgorithmKMSDSSE, KMSKeyID: "1234"}, KeyRef{"222222222222", "eu-west-1", "1234"}, true},
		{"key of another account and region", kms("arn:aws:kms:us-east-1:333333333333:key/abcd"), KeyRef{"333333333333", "us-east-1", "arn:aws:kms:us-east-1:333333333333:key/abcd"}, true},
		{"alias ARN", kms("arn:aws:kms:eu-west-1:222222222222:alias/data"), KeyRef{"222222222222", "eu-west-1", "arn:aws:kms:eu-west-1:222222222222:alias/data"}, true},
	}
	for _, tt := range tests {
		got, ok := ResolveKeyRef(tt.enc, "222222222222", "eu-west-1")
		if got != tt.want || ok != tt.ok {
			t.Errorf("%s: got %+v %v, want %+v %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

// TestKeyIndexAliasesPerRegion: "alias/aws/s3" names a different key in
// every region; a key of one region never answers for another's alias.
func TestKeyIndexAliasesPerRegion(t *testing.T) {
	keys := []inventory.KMSKey{{ARN: "arn:aws:kms:eu-west-1:222222222222:key/k1", Aliases: []string{"alias/aws/s3"}}}
	tests := []struct {
		ref  KeyRef
		want int
	}{
		{KeyRef{"222222222222", "eu-west-1", "alias/aws/s3"}, 0},
		{KeyRef{"222222222222", "us-east-1", "alias/aws/s3"}, -1},
		{KeyRef{"222222222222", "eu-west-1", "k1"}, 0},
		{KeyRef{"222222222222", "eu-west-1", "arn:aws:kms:eu-west-1:222222222222:alias/aws/s3"}, 0},
		{KeyRef{"333333333333", "eu-west-1", "alias/aws/s3"}, -1},
	}
	for _, tt := range tests {
		if got := keyIndex(keys, tt.ref); got != tt.want {
			t.Errorf("keyIndex(%+v) = %d, want %d", tt.ref, got, tt.want)
		}
	}
}

// locator answers GetBucketLocation only.
type locator struct {
	S3API
	err        error
	constraint types.BucketLocationConstraint
}

func (l locator) GetBucketLocation(context.Context, *s3.GetBucketLocationInput, ...func(*s3.Options)) (*s3.GetBucketLocationOutput, error) {
	if l.err != nil {
		return nil, l.err
	}
	return &s3.GetBucketLocationOutput{LocationConstraint: l.constraint}, nil
}

// TestLocate: GetBucketLocation's constraint, with its two legacy spellings
// (empty for us-east-1, EU for eu-west-1).
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html
func TestLocate(t *testing.T) {
	tests := []struct {
		name string
		api  locator
		want string
	}{
		{"empty constraint is us-east-1", locator{}, "us-east-1"},
		{"EU is eu-west-1", locator{constraint: "EU"}, "eu-west-1"},
		{"constraint as is", locator{constraint: "sa-east-1"}, "sa-east-1"},
	}
	for _, tt := range tests {
		got, err := locate(context.Background(), tt.api, "b")
		if err != nil || got != tt.want {
			t.Errorf("%s: got %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
	denied := &smithy.GenericAPIError{Code: "AccessDenied"}
	if got, err := locate(context.Background(), locator{err: denied}, "b"); err == nil || got != "" {
		t.Errorf("a denied GetBucketLocation: got %q, %v; want an error and no region", got, err)
	}
}

func TestDecodeDocument(t *testing.T) {
	got, err := decodeDocument("%7B%22a%22%3A%22x+y%20z%22%7D")
	if err != nil || got.String() != `{"a":"x+y z"}` {
		t.Errorf("got %q, %v: a plus sign must stay a plus sign (RFC 3986)", got, err)
	}
	if _, err := decodeDocument("%zz"); err == nil {
		t.Error("a malformed escape must be an error")
	}
}
