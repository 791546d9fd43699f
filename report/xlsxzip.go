package report

import (
	"archive/zip"
	"compress/flate"
	"io"
)

// xlsxDeflateLevel is the deflate level of report.xlsx's parts. On the
// parts of a synthetic report of 10,000 buckets (77 MB of XML), level 2
// deflates about 5 times faster than the default level (6) for 19% more
// bytes; level 1 is 6.5 times faster for 29% more, level 3 4 times faster
// for 15% more.
const xlsxDeflateLevel = 2

// registerFastDeflate makes zw deflate at xlsxDeflateLevel (excelize
// writes its parts through zw with zip.Deflate).
func registerFastDeflate(zw *zip.Writer) {
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, xlsxDeflateLevel)
	})
}
