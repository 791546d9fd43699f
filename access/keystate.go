package access

import (
	"fmt"

	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/model"
	"github.com/bucketaudit/bucketaudit/policy"
)

// KMS key states (DescribeKey KeyMetadata.KeyState).
// https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html
const (
	KeyStateEnabled                = "Enabled"
	KeyStateDisabled               = "Disabled"
	KeyStatePendingDeletion        = "PendingDeletion"
	KeyStatePendingImport          = "PendingImport"
	KeyStatePendingReplicaDeletion = "PendingReplicaDeletion"
	KeyStateUnavailable            = "Unavailable"
	KeyStateUpdating               = "Updating"
)

// KeyUsable says whether KMS accepts the cryptographic operations S3 calls
// (kms:Decrypt, kms:GenerateDataKey) on a collected key, by its state:
// TriTrue when it is Enabled, or Updating (a multi-Region key whose primary
// Region is changing: "you can use the keys in cryptographic operations");
// TriFalse in the states in which KMS rejects them (Disabled,
// PendingDeletion, PendingImport, Unavailable, and PendingReplicaDeletion:
// a primary key scheduled for deletion "cannot be replicated or used in
// cryptographic operations"); TriUnknown when the state could not be read
// (DescribeKey failed) and for any other state (the transient Creating of
// a replica), which is not decided. The reason names the state.
// https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html
// https://docs.aws.amazon.com/kms/latest/developerguide/multi-region-update.html
// https://docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html
func KeyUsable(k *inventory.KMSKey) (Tri, string) {
	if e, ok := k.Errors.Get(inventory.KeyDescribeKey); ok || k.State == "" {
		return TriUnknown, "its state could not be read (kms:DescribeKey: " + errorCode(e) + ")"
	}
	switch k.State {
	case KeyStateEnabled:
		return TriTrue, "it is Enabled"
	case KeyStateUpdating:
		return TriTrue, "it is Updating (its multi-Region primary Region is changing), in which it can be used"
	case KeyStateDisabled:
		return TriFalse, "it is Disabled: KMS rejects cryptographic operations on a disabled key"
	case KeyStatePendingDeletion, KeyStatePendingReplicaDeletion:
		return TriFalse, "it is " + k.State + " (scheduled for deletion): KMS rejects cryptographic operations on it"
	case KeyStatePendingImport:
		return TriFalse, "it is PendingImport (its imported key material is missing or expired): KMS rejects cryptographic operations on it"
	case KeyStateUnavailable:
		return TriFalse, "it is Unavailable (its custom key store is disconnected): KMS rejects cryptographic operations on it"
	}
	return TriUnknown, "it is in the transient state " + k.State + ", in which its use is not decided"
}

// keyStateOutcome decides the KMS call by the key's state, when the state
// alone decides it: deny (for every caller) when the key cannot be used;
// ok is false when the key can be used, or when the key was not collected
// (its policy is then unreadable, which the engine reports).
func (bl *BucketLayers) keyStateOutcome(action, kmsAction, keyName string) (outcome, Tri, bool) {
	k := bl.Key.Key
	if k == nil {
		return outcome{}, TriUnknown, false
	}
	usable, why := KeyUsable(k)
	switch usable {
	case TriTrue:
		return outcome{}, usable, false
	case TriFalse:
		return outcome{verdict: model.VerdictDeny, engine: policy.ImplicitDeny, layers: layersOf(model.LayerKMS), kmsBlocked: "key-state",
			reason: fmt.Sprintf("%s needs %s on %s, but %s", action, kmsAction, keyName, why)}, usable, true
	}
	return outcome{verdict: model.VerdictUnknown, engine: policy.Unknown, layers: layersOf(model.LayerKMS),
		reason: fmt.Sprintf("%s needs %s on %s, and %s", action, kmsAction, keyName, why)}, usable, false
}

// KeyStateRemediation is the command that makes a key in state usable again.
func KeyStateRemediation(arn, state string) string {
	switch state {
	case KeyStateDisabled:
		return fmt.Sprintf("If the key is still meant to protect the bucket: aws kms enable-key --key-id %s", arn)
	case KeyStatePendingDeletion, KeyStatePendingReplicaDeletion:
		return fmt.Sprintf("If the key is still meant to protect the bucket, stop its deletion before the waiting period ends and enable it: aws kms cancel-key-deletion --key-id %s, then aws kms enable-key --key-id %s", arn, arn)
	case KeyStatePendingImport:
		return fmt.Sprintf("Import the key material again: aws kms get-parameters-for-import --key-id %s --wrapping-algorithm RSAES_OAEP_SHA_256 --wrapping-key-spec RSA_2048, then aws kms import-key-material --key-id %s --encrypted-key-material fileb://EncryptedKeyMaterial.bin --import-token fileb://ImportToken.bin --expiration-model KEY_MATERIAL_DOES_NOT_EXPIRE", arn, arn)
	case KeyStateUnavailable:
		return "Reconnect the key's custom key store: aws kms describe-custom-key-stores, then aws kms connect-custom-key-store --custom-key-store-id <custom key store ID>"
	}
	return fmt.Sprintf("Check the key: aws kms describe-key --key-id %s", arn)
}
