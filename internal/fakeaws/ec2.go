package fakeaws

import (
	"fmt"
	"net/http"
	"strings"
)

// serveEC2 answers ec2:DescribeRegions with Knobs.Regions, every one
// enabled (none by default: the account has no region items to scan).
func (s *Server) serveEC2(c *call) {
	if c.op != "DescribeRegions" {
		c.fail(400, "UnrecognizedClientException", "fakeaws does not emulate ec2:"+c.op)
		return
	}
	var b strings.Builder
	for _, r := range s.Knobs().Regions {
		fmt.Fprintf(&b, "<item><regionName>%s</regionName><regionEndpoint>ec2.%s.amazonaws.com</regionEndpoint><optInStatus>opt-in-not-required</optInStatus></item>", xesc(r), xesc(r))
	}
	c.w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(c.w, `<DescribeRegionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>%s</requestId><regionInfo>%s</regionInfo></DescribeRegionsResponse>`, requestID(), b.String())
}

// serveS3Account answers the account-level S3 calls of the resource
// collector: ListBuckets lists none (the emulator's buckets are stores, not
// an account's resources) and S3 Control's account Block Public Access is
// not set.
func (s *Server) serveS3Account(c *call) bool {
	switch {
	case strings.HasPrefix(c.r.URL.Path, "/v20180820/"):
		c.fail(404, "NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found")
		return true
	case c.op == "ListBuckets" && c.r.Method == http.MethodGet:
		c.w.Header().Set("Content-Type", "application/xml")
		fmt.Fprint(c.w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>fakeaws</ID></Owner><Buckets></Buckets></ListAllMyBucketsResult>`)
		return true
	}
	return false
}
