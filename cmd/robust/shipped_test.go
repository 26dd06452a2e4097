package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/cnn"
	"github.com/advmlgo/advml/pkg/mnist"
)

// shipped are the models committed with the repository, each made with
// seed 1 by the command its record.json names: the robust model, the
// article's network trained against the same adversary, the certified
// model (cnn.Robust trained on CROWN-IBP's bounds), all three by make
// robust, and the article's network trained on Gaussian noise (σ 0.25),
// the base of notebook 06's randomized smoothing; TRADES' SmallCNN
// trained by TRADES (the longer run of docs/defence.md); and the robust
// models of Fashion-MNIST (cnn.Robust by PGD, LeNetSmall by PGD, by
// TRADES, and by TRADES with the weights averaged over epochs, the last
// also with every width doubled).
var shipped = map[string]cnn.Config{"../../checkpoints/robust": cnn.Robust, "../../checkpoints/article-pgd": cnn.Default,
	"../../checkpoints/certified": cnn.Robust, "../../checkpoints/cnn-noise-0.25": cnn.Default, "../../checkpoints/smallcnn-trades": cnn.SmallCNN,
	"../../checkpoints/robust-fashion": cnn.Robust, "../../checkpoints/lenetsmall-fashion": cnn.LeNetSmall,
	"../../checkpoints/lenetsmall-trades-fashion": cnn.LeNetSmall, "../../checkpoints/lenetsmall-trades-swa-fashion": cnn.LeNetSmall,
	"../../checkpoints/lenetsmall-wide-trades-swa-fashion": cnn.LeNetSmallWide}

// shippedData is the data set of each shipped model that is not MNIST's:
// the robust models of Fashion-MNIST (cmd/robust -data fashion -eps 0.1,
// -data fashion -recipe pgd-lenetsmall, and -arch lenetsmall -mode trades
// without and with -average-from 60, the last also with -filters 32
// -filters2 64 -hidden 200).
var shippedData = map[string]mnist.Dataset{"../../checkpoints/robust-fashion": mnist.Fashion, "../../checkpoints/lenetsmall-fashion": mnist.Fashion,
	"../../checkpoints/lenetsmall-trades-fashion": mnist.Fashion, "../../checkpoints/lenetsmall-trades-swa-fashion": mnist.Fashion,
	"../../checkpoints/lenetsmall-wide-trades-swa-fashion": mnist.Fashion}

// Record is what checkpoints/robust/record.json states about the shipped
// model.
type Record struct {
	Command string `json:"command"`
	Seed    int64  `json:"seed"`
	// CleanAccuracy1000 is its accuracy on the first 1,000 test images.
	CleanAccuracy1000 float64 `json:"clean_accuracy_1000"`
}

// TestShippedCheckpoint: each committed model is whole (its files match
// SHA256SUMS), loads, and classifies the first 1,000 test images with the
// recorded accuracy.
func TestShippedCheckpoint(t *testing.T) {
	testutil.Slow(t)
	for dir, cfg := range shipped {
		t.Run(filepath.Base(dir), func(t *testing.T) { checkShipped(t, dir, cfg) })
	}
}

func checkShipped(t *testing.T, shipped string, cfg cnn.Config) {
	sums, err := os.Open(filepath.Join(shipped, "SHA256SUMS"))
	if err != nil {
		t.Fatalf("the shipped checkpoint has no SHA256SUMS: %v", err)
	}
	defer sums.Close()
	checked := 0
	scanner := bufio.NewScanner(sums)
	for scanner.Scan() {
		want, name, ok := strings.Cut(scanner.Text(), "  ")
		if !ok {
			t.Fatalf("SHA256SUMS line %q: want \"<sha256>  <file>\"", scanner.Text())
		}
		data, err := os.ReadFile(filepath.Join(shipped, name))
		if err != nil {
			t.Fatal(err)
		}
		if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != want {
			t.Errorf("%s: sha256 %x, SHA256SUMS says %s", name, sum, want)
		}
		checked++
	}
	if checked < 2 {
		t.Fatalf("SHA256SUMS lists %d files", checked)
	}
	raw, err := os.ReadFile(filepath.Join(shipped, "record.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rec Record
	if err := json.Unmarshal(raw, &rec); err != nil {
		t.Fatal(err)
	}
	m, err := cnn.Load(testutil.XLA(t), shipped)
	if err != nil {
		t.Fatal(err)
	}
	if m.Config != cfg {
		t.Fatalf("the model in %s is a %s, not a %s", shipped, m.Config, cfg)
	}
	test := testutil.MNIST(t).Test
	if d, ok := shippedData[shipped]; ok {
		data, err := mnist.Load(mnist.Options{Dataset: d})
		if err != nil {
			t.Fatal(err)
		}
		test = data.Test
	}
	_, acc, err := m.Evaluate(test.Images[:1000*mnist.Pixels], test.Labels[:1000])
	if err != nil {
		t.Fatal(err)
	}
	if acc != rec.CleanAccuracy1000 {
		t.Errorf("clean accuracy on the first 1,000 test images: %g, record.json says %g", acc, rec.CleanAccuracy1000)
	}
}
