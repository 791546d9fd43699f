package report

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"io"
	"testing"
)

// Every deflated part of report.xlsx is compressed at xlsxDeflateLevel:
// its raw bytes are what flate at that level makes of its content (the
// default level gives other bytes for the sheets), and the workbook opens.
func TestXLSXDeflateLevel(t *testing.T) {
	_, data := writeXLSX(t, syntheticReport(300))
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	deflated := 0
	for _, zf := range zr.File {
		if zf.Method != zip.Deflate {
			continue
		}
		deflated++
		content := zipEntry(t, data, zf.Name)
		raw, err := zf.OpenRaw()
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(raw)
		if err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		fw, _ := flate.NewWriter(&want, xlsxDeflateLevel)
		io.WriteString(fw, content)
		fw.Close()
		if !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%s (%d bytes): not deflated at level %d (%d compressed bytes, want %d)", zf.Name, len(content), xlsxDeflateLevel, len(got), want.Len())
		}
	}
	if deflated == 0 {
		t.Fatal("no deflated part")
	}
}
