package fakeaws

import (
	"fmt"
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
