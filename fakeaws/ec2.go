package fakeaws

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/bucketaudit/bucketaudit/inventory"
)

const ec2NS = "http://ec2.amazonaws.com/doc/" + ec2Version + "/"

// ec2Filters reads EC2 Query filters: Filter.N.Name and Filter.N.Value.M.
func ec2Filters(q *request) map[string][]string {
	out := map[string][]string{}
	for i := 1; ; i++ {
		prefix := "Filter." + strconv.Itoa(i)
		name := q.form.Get(prefix + ".Name")
		if name == "" {
			break
		}
		out[name] = append(out[name], indexedList(q.form, prefix+".Value")...)
	}
	return out
}

func (s *Server) ec2DescribeVpcEndpoints(w http.ResponseWriter, q *request) *apiError {
	acct := s.idx.accounts[q.caller.account]
	if aerr := s.faults.chosen(q, acct.acct.ID, ""); aerr != nil {
		return aerr
	}
	if e, ok := acct.acct.Errors.Get(inventory.KeyVPCEndpointsPrefix + q.region); ok {
		return fixtureError(e)
	}
	ids := indexedList(q.form, "VpcEndpointId")
	filters := ec2Filters(q)
	for name := range filters {
		switch name {
		case "service-name", "vpc-id", "vpc-endpoint-id", "vpc-endpoint-type", "vpc-endpoint-state":
		default:
			return errf("InvalidParameterValue", "The filter '"+name+"' is invalid")
		}
	}
	limit := 0
	if v := q.form.Get("MaxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return errf("InvalidParameterValue", "Value ("+v+") for parameter maxResults is invalid. Expecting a positive integer.")
		}
		limit = min(n, 1000)
	}
	var list []inventory.VPCEndpoint
	found := map[string]bool{}
	for _, e := range acct.endpoint {
		if e.Region != q.region {
			continue
		}
		if len(ids) > 0 && !slices.Contains(ids, e.ID) {
			continue
		}
		found[e.ID] = true
		if !matchFilter(filters, "service-name", e.Service) || !matchFilter(filters, "vpc-id", e.VPCID) ||
			!matchFilter(filters, "vpc-endpoint-id", e.ID) || !matchFilter(filters, "vpc-endpoint-type", e.Type) ||
			!matchFilter(filters, "vpc-endpoint-state", "available") {
			continue
		}
		list = append(list, e)
	}
	for _, id := range ids {
		if !found[id] {
			return errf("InvalidVpcEndpointId.NotFound", "The Vpc Endpoint Id '"+id+"' does not exist")
		}
	}
	scope := url.Values{}
	for k, v := range q.form {
		if k != "NextToken" && k != "MaxResults" {
			scope[k] = v
		}
	}
	p, ok := s.paginate(len(list), "DescribeVpcEndpoints/"+q.region+"/"+scope.Encode(), q.form.Get("NextToken"), limit)
	if !ok {
		return errf("InvalidPaginationToken", "Invalid pagination token")
	}
	w.Header().Set("x-amzn-RequestId", q.reqID)
	x := newXML()
	x.openNS("DescribeVpcEndpointsResponse", ec2NS)
	x.elem("requestId", q.reqID)
	x.open("vpcEndpointSet")
	for _, e := range list[p.start:p.end] {
		x.open("item")
		x.elem("vpcEndpointId", e.ID)
		x.elem("vpcEndpointType", e.Type)
		x.elem("vpcId", e.VPCID)
		x.elem("serviceName", e.Service)
		x.elem("state", "available")
		x.elem("policyDocument", e.Policy.String())
		x.open("routeTableIdSet")
		x.close("routeTableIdSet")
		x.open("subnetIdSet")
		x.close("subnetIdSet")
		x.open("groupSet")
		x.close("groupSet")
		x.bool("privateDnsEnabled", false)
		x.bool("requesterManaged", false)
		x.open("networkInterfaceIdSet")
		x.close("networkInterfaceIdSet")
		x.open("dnsEntrySet")
		x.close("dnsEntrySet")
		x.time("creationTimestamp", inventory.DefaultBucketCreated())
		x.elem("ownerId", acct.acct.ID)
		x.close("item")
	}
	x.close("vpcEndpointSet")
	x.elemIf("nextToken", p.next)
	x.close("DescribeVpcEndpointsResponse")
	x.write(w, http.StatusOK, "text/xml;charset=UTF-8")
	return nil
}

func matchFilter(filters map[string][]string, name, value string) bool {
	vals, ok := filters[name]
	return !ok || slices.Contains(vals, value)
}
