package training_test

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/cnn"
	"github.com/advmlgo/advml/pkg/training"
)

// TestDevicesTrainTheSameModel trains the article's network, and the
// robust one against PGD, for an epoch on one device and with each batch
// split over two of the CPU engine's devices: the same batches, so the same
// model up to the order of the sums. Clean, the weights agree to about 1e-7
// of their norm here (the test allows 1e-5). PGD's sign steps turn those
// last bits into a different step for a few pixels, so against PGD the
// test holds the epoch's losses within 0.5% and the weights within 5%.
func TestDevicesTrainTheSameModel(t *testing.T) {
	testutil.Slow(t)
	data := testutil.MNIST(t)
	train, val := data.Train.Head(1024), data.Validation.Head(500)
	for _, c := range []struct {
		name                string
		cfg                 cnn.Config
		opts                training.Options
		lossTol, weightsTol float64
	}{
		{"clean", cnn.Default, options(1, 3), 1e-4, 1e-5},
		{"pgd", cnn.Robust, func() training.Options {
			o := training.RobustOptions()
			o.MaxEpochs, o.Adversary.WarmupEpochs, o.Adversary.ValidationImages = 1, 0, 100
			return o
		}(), 5e-3, 5e-2},
	} {
		t.Run(c.name, func(t *testing.T) {
			run := func(devices int) (*training.History, map[string][]float32) {
				m, err := cnn.New(testutil.XLA(t), c.cfg, 1)
				if err != nil {
					t.Fatal(err)
				}
				o := c.opts
				o.Devices = devices
				h, err := training.Train(m, train, val, o)
				if err != nil {
					t.Fatal(err)
				}
				w := map[string][]float32{}
				for v := range m.Store().IterVariables() {
					if v.Trainable && devices > 1 {
						// The step ran over the devices: its weights are
						// held as one shard per device.
						if d, err := v.DistributedValue(); err != nil || len(d.Shards()) != devices {
							t.Fatalf("%s after training over %d devices: distributed value %v (error %v), want %d shards", v.Path(), devices, d, err, devices)
						}
					}
					if v.Trainable {
						value, err := v.Value()
						if err != nil {
							t.Fatal(err)
						}
						w[v.Path()] = tensors.MustCopyFlatData[float32](value)
					}
				}
				return h, w
			}
			h1, w1 := run(1)
			h2, w2 := run(2)
			e1, e2 := h1.Epochs[0], h2.Epochs[0]
			if math.Abs(e1.Loss-e2.Loss) > c.lossTol*e1.Loss || math.Abs(e1.ValLoss-e2.ValLoss) > c.lossTol*e1.ValLoss ||
				math.Abs(e1.ValAccuracy-e2.ValAccuracy) > 0.01 {
				t.Errorf("one device: %v\ntwo devices: %v", e1, e2)
			}
			if len(w1) == 0 || len(w1) != len(w2) {
				t.Fatalf("%d weight tensors on one device, %d on two", len(w1), len(w2))
			}
			// The distance between the two models relative to their size,
			// over all weights.
			var diff2, norm2 float64
			for path, a := range w1 {
				b := w2[path]
				if len(a) != len(b) {
					t.Fatalf("%s: %d weights on one device, %d on two", path, len(a), len(b))
				}
				for i := range a {
					diff2 += float64(a[i]-b[i]) * float64(a[i]-b[i])
					norm2 += float64(a[i]) * float64(a[i])
				}
			}
			t.Logf("relative distance %.3g", math.Sqrt(diff2/norm2))
			if rel := math.Sqrt(diff2 / norm2); !(rel <= c.weightsTol) {
				t.Errorf("the weights trained on two devices are %.3g of their norm away from one device's (want at most %g)", rel, c.weightsTol)
			}
		})
	}
}

func TestBadDevices(t *testing.T) {
	data := testutil.MNIST(t)
	train, val := data.Train.Head(256), data.Validation.Head(100)
	m, err := cnn.New(testutil.XLA(t), cnn.Default, 1)
	if err != nil {
		t.Fatal(err)
	}
	have := m.Backend().NumDevices()
	for _, tc := range []struct {
		devices, batch int
		want           string
	}{
		{-1, 64, "Devices is -1"},
		{2, 63, "BatchSize 63 does not split evenly over 2 Devices"},
		{have + 1, 64 * (have + 1), "has " + strconv.Itoa(have) + " device(s)"},
		{2, 512, "do not fill one batch of 512"},
	} {
		o := options(1, 1)
		o.Devices, o.BatchSize = tc.devices, tc.batch
		_, err := training.Train(m, train, val, o)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("Devices %d, BatchSize %d: want a one-line error with %q, got %v", tc.devices, tc.batch, tc.want, err)
		}
	}
}

// TestDevicesCheckpoint saves a model trained over two devices and loads it
// back: the same weights, so `make robust ARGS="-devices 2"` ships what it
// trained.
func TestDevicesCheckpoint(t *testing.T) {
	testutil.Slow(t)
	data := testutil.MNIST(t)
	m, err := cnn.New(testutil.XLA(t), cnn.Default, 1)
	if err != nil {
		t.Fatal(err)
	}
	o := options(1, 1)
	o.Devices = 2
	if _, err := training.Train(m, data.Train.Head(256), data.Validation.Head(100), o); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := m.Save(dir); err != nil {
		t.Fatalf("saving weights trained over two devices: %v", err)
	}
	loaded, err := cnn.Load(testutil.XLA(t), dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for v := range m.Store().IterVariables() {
		if !v.Trainable {
			continue
		}
		w := loaded.Store().GetVariable(v.Path())
		if w == nil {
			t.Fatalf("%s is missing from the loaded checkpoint", v.Path())
		}
		a, errA := v.Value()
		b, errB := w.Value()
		if errA != nil || errB != nil {
			t.Fatal(errA, errB)
		}
		x, y := tensors.MustCopyFlatData[float32](a), tensors.MustCopyFlatData[float32](b)
		for i := range x {
			if x[i] != y[i] {
				t.Fatalf("%s[%d]: %g trained, %g loaded", v.Path(), i, x[i], y[i])
			}
		}
		n++
	}
	if n == 0 {
		t.Fatal("no trainable weights")
	}
}
