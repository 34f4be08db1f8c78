package chromium

import (
	"image"
	"image/color"
	"testing"
)

func TestAnalyzeTellsBlankFromContent(t *testing.T) {
	blank := image.NewRGBA(image.Rect(0, 0, 50, 50))
	for y := 0; y < 50; y++ {
		for x := 0; x < 50; x++ {
			blank.Set(x, y, color.White)
		}
	}
	st := analyze(blank)
	if st.Variance != 0 || st.Colors != 1 || st.NonWhite != 0 {
		t.Fatalf("blank: %+v", st)
	}
	busy := image.NewRGBA(image.Rect(0, 0, 50, 50))
	for y := 0; y < 50; y++ {
		for x := 0; x < 50; x++ {
			busy.Set(x, y, color.RGBA{uint8(x * 5), uint8(y * 5), 100, 255})
		}
	}
	st = analyze(busy)
	if st.Variance < 100 || st.Colors < 100 || st.NonWhite < 0.9 {
		t.Fatalf("busy: %+v", st)
	}
}
