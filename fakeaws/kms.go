package fakeaws

import (
	"strings"

	"github.com/bucketaudit/bucketaudit/internal/awsid"
	"github.com/bucketaudit/bucketaudit/inventory"
)

type kmsInput struct {
	KeyID            string `json:"KeyId"`
	PolicyName       string `json:"PolicyName"`
	Limit            *int   `json:"Limit"`
	Marker           string `json:"Marker"`
	GrantID          string `json:"GrantId"`
	GranteePrincipal string `json:"GranteePrincipal"`
}

// keyCreated is the creation date of every emulated key.
func keyCreated() float64 { return epoch(inventory.DefaultBucketCreated()) }

func (s *Server) kmsHandler(op string) handlerFunc {
	var h func(q *request, in *kmsInput) (any, *apiError)
	switch op {
	case "DescribeKey":
		h = s.kmsDescribeKey
	case "GetKeyPolicy":
		h = s.kmsGetKeyPolicy
	case "ListGrants":
		h = s.kmsListGrants
	case "ListAliases":
		h = s.kmsListAliases
	default:
		return nil
	}
	return jsonHandler(func(_ *request, in *kmsInput) *apiError {
		if in.Limit != nil && (*in.Limit < 1 || *in.Limit > 1000) {
			return errf("ValidationException", "1 validation error detected: Value at 'limit' failed to satisfy constraint: Member must have value less than or equal to 1000 and greater than or equal to 1")
		}
		return nil
	}, h)
}

// findKey resolves a key ID, key ARN, alias name or alias ARN in the
// request's region. Keys of another account answer AccessDeniedException
// (the emulator scopes every answer to the caller's account).
func (s *Server) findKey(q *request, ref, action string, allowAlias bool) (*keyState, *apiError) {
	if ref == "" {
		return nil, errf("ValidationException", "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null")
	}
	caller := s.idx.accounts[q.caller.account]
	account, region := caller.acct.ID, q.region
	var ks *keyState
	switch {
	case strings.HasPrefix(ref, "arn:"):
		a, err := awsid.Parse(ref)
		if err != nil || a.Service != "kms" || a.Partition != s.idx.partition {
			return nil, errf("InvalidArnException", "Invalid arn "+ref)
		}
		region, account = a.Region, a.Account
		if account != caller.acct.ID {
			return nil, accessDenied(q, action, ref)
		}
		if region != q.region {
			return nil, errf("NotFoundException", "Invalid arn "+ref+": the key's region is not "+q.region)
		}
		res := a.Resource
		switch {
		case strings.HasPrefix(res, "key/"):
			ks = s.idx.keys[ref]
		case strings.HasPrefix(res, "alias/") && allowAlias:
			ks = caller.aliases[region+" "+res]
			if ks == nil {
				return nil, errf("NotFoundException", "Alias "+ref+" is not found.")
			}
		default:
			return nil, errf("InvalidArnException", "Invalid arn "+ref)
		}
	case strings.HasPrefix(ref, "alias/"):
		if !allowAlias {
			return nil, errf("NotFoundException", "Invalid keyId "+ref)
		}
		ks = caller.aliases[region+" "+ref]
		if ks == nil {
			return nil, errf("NotFoundException", "Alias "+awsid.KMSAlias(region, account, ref)+" is not found.")
		}
	default:
		ks = s.idx.keys[awsid.KMSKey(region, account, ref)]
	}
	if ks == nil {
		return nil, errf("NotFoundException", "Key '"+awsid.KMSKey(region, account, strings.TrimPrefix(ref[strings.LastIndex(ref, ":")+1:], "key/"))+"' does not exist")
	}
	if aerr := s.faults.chosen(q, ks.owner.acct.ID, ""); aerr != nil {
		return nil, aerr
	}
	return ks, nil
}

func keyErr(ks *keyState, field string) *apiError {
	if e, ok := ks.key.Errors.Get(field); ok {
		aerr := fixtureError(e)
		if aerr.code == "AccessDenied" {
			aerr.code = "AccessDeniedException"
		}
		return aerr
	}
	return nil
}

func (s *Server) kmsDescribeKey(q *request, in *kmsInput) (any, *apiError) {
	ks, aerr := s.findKey(q, in.KeyID, "kms:DescribeKey", true)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := keyErr(ks, "describe_key"); aerr != nil {
		return nil, aerr
	}
	k := ks.key
	desc := ""
	if k.Manager == inventory.KeyManagerAWS {
		desc = "Default key that protects my S3 objects when no other key is defined"
	}
	return map[string]any{"KeyMetadata": map[string]any{
		"AWSAccountId":          ks.owner.acct.ID,
		"KeyId":                 ks.id,
		"Arn":                   k.ARN,
		"CreationDate":          keyCreated(),
		"Enabled":               k.State == "Enabled",
		"Description":           desc,
		"KeyUsage":              "ENCRYPT_DECRYPT",
		"KeyState":              k.State,
		"Origin":                "AWS_KMS",
		"KeyManager":            k.Manager,
		"CustomerMasterKeySpec": "SYMMETRIC_DEFAULT",
		"KeySpec":               "SYMMETRIC_DEFAULT",
		"EncryptionAlgorithms":  []string{"SYMMETRIC_DEFAULT"},
		"MultiRegion":           false,
	}}, nil
}

func (s *Server) kmsGetKeyPolicy(q *request, in *kmsInput) (any, *apiError) {
	ks, aerr := s.findKey(q, in.KeyID, "kms:GetKeyPolicy", false)
	if aerr != nil {
		return nil, aerr
	}
	if in.PolicyName != "" && in.PolicyName != "default" {
		return nil, errf("NotFoundException", "No such policy exists")
	}
	if aerr := keyErr(ks, "policy"); aerr != nil {
		return nil, aerr
	}
	return map[string]any{"Policy": ks.key.Policy.String(), "PolicyName": "default"}, nil
}

func (s *Server) kmsListGrants(q *request, in *kmsInput) (any, *apiError) {
	ks, aerr := s.findKey(q, in.KeyID, "kms:ListGrants", false)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := keyErr(ks, "grants"); aerr != nil {
		return nil, aerr
	}
	var grants []inventory.KMSGrant
	for _, g := range ks.key.Grants {
		if (in.GrantID == "" || g.GrantID == in.GrantID) && (in.GranteePrincipal == "" || g.GranteePrincipal == in.GranteePrincipal) {
			grants = append(grants, g)
		}
	}
	p, ok := s.paginate(len(grants), "ListGrants/"+ks.key.ARN+"/"+in.GrantID+"/"+in.GranteePrincipal, in.Marker, intOr(in.Limit))
	if !ok {
		return nil, errf("InvalidMarkerException", "Invalid marker")
	}
	out := []map[string]any{}
	for _, g := range grants[p.start:p.end] {
		m := map[string]any{
			"KeyId":            ks.key.ARN,
			"GrantId":          g.GrantID,
			"GranteePrincipal": g.GranteePrincipal,
			"IssuingAccount":   awsid.Root(s.idx.partition, ks.owner.acct.ID),
			"Operations":       g.Operations,
			"CreationDate":     keyCreated(),
		}
		if g.RetiringPrincipal != "" {
			m["RetiringPrincipal"] = g.RetiringPrincipal
		}
		out = append(out, m)
	}
	return withMarker(map[string]any{"Grants": out}, p.next), nil
}

// withMarker adds KMS's pagination members: Truncated, and NextMarker
// when there is a next page.
func withMarker(m map[string]any, next string) map[string]any {
	m["Truncated"] = next != ""
	if next != "" {
		m["NextMarker"] = next
	}
	return m
}

func (s *Server) kmsListAliases(q *request, in *kmsInput) (any, *apiError) {
	caller := s.idx.accounts[q.caller.account]
	if aerr := s.faults.chosen(q, caller.acct.ID, ""); aerr != nil {
		return nil, aerr
	}
	var only *keyState
	if in.KeyID != "" {
		ks, aerr := s.findKey(q, in.KeyID, "kms:ListAliases", false)
		if aerr != nil {
			return nil, aerr
		}
		if aerr := keyErr(ks, "aliases"); aerr != nil {
			return nil, aerr
		}
		only = ks
	}
	type alias struct {
		name string
		key  *keyState
	}
	var aliases []alias
	for _, ks := range caller.keys {
		if ks.region != q.region || (only != nil && ks != only) {
			continue
		}
		for _, a := range ks.key.Aliases {
			aliases = append(aliases, alias{a, ks})
		}
	}
	p, ok := s.paginate(len(aliases), "ListAliases/"+q.region+"/"+in.KeyID, in.Marker, intOr(in.Limit))
	if !ok {
		return nil, errf("InvalidMarkerException", "Invalid marker")
	}
	out := []map[string]any{}
	for _, a := range aliases[p.start:p.end] {
		out = append(out, map[string]any{
			"AliasName":       a.name,
			"AliasArn":        awsid.KMSAlias(q.region, caller.acct.ID, a.name),
			"TargetKeyId":     a.key.id,
			"CreationDate":    keyCreated(),
			"LastUpdatedDate": keyCreated(),
		})
	}
	return withMarker(map[string]any{"Aliases": out}, p.next), nil
}
