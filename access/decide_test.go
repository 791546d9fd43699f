package access

import (
	"testing"

	"github.com/bucketaudit/bucketaudit/model"
)

// TestLayerOrderMatchesLayers checks that layerOrder's switch gives every
// layer its position in model.Layers, and an unknown name the position
// after them.
func TestLayerOrderMatchesLayers(t *testing.T) {
	layers := model.Layers()
	for i, l := range layers {
		if got := layerOrder(l); got != i {
			t.Errorf("layerOrder(%q) = %d, want %d", l, got, i)
		}
	}
	if got := layerOrder("no such layer"); got != len(layers) {
		t.Errorf("layerOrder of an unknown layer = %d, want %d", got, len(layers))
	}
}
