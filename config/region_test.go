package config

import "testing"

// TestRegionSet: only a region from the file or --region is set; the
// default and region: "" leave it to the AWS environment (SetHomeRegion).
func TestRegionSet(t *testing.T) {
	tests := []struct {
		file string
		ov   Overrides
		set  bool
		want string // after SetHomeRegion("eu-central-1")
	}{
		{"", Overrides{}, false, "eu-central-1"},
		{"region: \"\"\n", Overrides{}, false, "eu-central-1"},
		{"region: us-gov-west-1\n", Overrides{}, true, "us-gov-west-1"},
		{"region: \"\"\n", Overrides{Region: "cn-north-1"}, true, "cn-north-1"},
	}
	for _, tt := range tests {
		c, err := Parse([]byte(tt.file), "c.yaml", tt.ov, env(nil))
		if err != nil {
			t.Fatal(err)
		}
		if c.RegionSet() != tt.set {
			t.Errorf("%q %+v: RegionSet %v, want %v", tt.file, tt.ov, c.RegionSet(), tt.set)
		}
		c.SetHomeRegion("eu-central-1")
		if c.Region != tt.want {
			t.Errorf("%q %+v: region %q, want %q", tt.file, tt.ov, c.Region, tt.want)
		}
	}
}
