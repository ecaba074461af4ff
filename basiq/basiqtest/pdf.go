package basiqtest

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// reportPDF renders a one-page PDF listing the report's title and metrics.
func reportPDF(r *simReport) []byte {
	lines := []string{r.Title, r.Type + " generated " + r.Created.Format(time.RFC3339)}
	if d, ok := r.Data.(obj); ok {
		if ms, ok := d["metrics"].([]obj); ok {
			for _, m := range ms {
				b, _ := json.Marshal(m["result"].(obj)["value"])
				lines = append(lines, fmt.Sprintf("%s %s: %s", m["id"], m["title"], strings.Trim(string(b), `"`)))
			}
		}
	}
	var text strings.Builder
	text.WriteString("BT /F1 9 Tf 40 800 Td 12 TL\n")
	for _, l := range lines {
		l = strings.NewReplacer(`\`, `\\`, "(", `\(`, ")", `\)`).Replace(l)
		fmt.Fprintf(&text, "(%s) '\n", l)
	}
	text.WriteString("ET")
	objs := []string{"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", text.Len(), text.String()),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"}
	var out strings.Builder
	out.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = out.Len()
		fmt.Fprintf(&out, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := out.Len()
	fmt.Fprintf(&out, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&out, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&out, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return []byte(out.String())
}
