package attack_test

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/attack"
	"github.com/advmlgo/advml/pkg/classifier"
	"github.com/advmlgo/advml/pkg/cnn"
	"github.com/advmlgo/advml/pkg/mnist"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/model"
)

// unhashable is a model type that cannot be a map key (it holds a slice):
// the attacks must run it without caching, not panic.
type unhashable struct {
	*cnn.Model
	notes []string
}

func TestAttackOnAModelThatCannotBeAMapKey(t *testing.T) {
	m := unhashable{Model: testutil.Trained(t), notes: []string{"a slice makes the struct unhashable"}}
	images, labels, _ := sample(t, 4)
	_, before := attack.CacheSize()
	pgd := attack.NewPGD(attack.Linf)
	pgd.Steps = 3
	res, err := pgd.Run(m, images, attack.Misclassification{Labels: labels}, 0.3)
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, m, res, attack.Misclassification{Labels: labels}, true)
	if _, after := attack.CacheSize(); after != before {
		t.Errorf("the cache went from %d to %d executors for a model it cannot key", before, after)
	}
}

// linear is an untrained linear classifier (784 → 10), cheap to compile,
// with weights seeded by seed.
func linear(t *testing.T, seed int64) *classifier.Model {
	store := model.NewStore()
	if err := store.SetRNGStateFromSeed(seed); err != nil {
		t.Fatal(err)
	}
	m, err := classifier.New(testutil.XLA(t), store, mnist.Geometry, func(scope *model.Scope, images *Node) *Node {
		return layers.Dense(scope.In("output"), Reshape(images, images.Shape().Dimensions[0], -1), true, mnist.NumClasses)
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// rssBytes is this process's resident memory.
func rssBytes(t *testing.T) int64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status to measure memory")
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
			return kb << 10
		}
	}
	t.Skip("no VmRSS")
	return 0
}

// TestCacheStaysBoundedOverManyModels attacks 50 models in turn: the cache
// keeps the executors of the last MaxCachedModels models only, and the
// process's memory stops growing once it is full.
func TestCacheStaysBoundedOverManyModels(t *testing.T) {
	testutil.Slow(t)
	images, labels, _ := sample(t, 2)
	crit := attack.Misclassification{Labels: labels}
	pgd := attack.NewPGD(attack.Linf)
	pgd.Steps = 1
	var atFull int64
	for i := range 50 {
		m := linear(t, int64(i+1))
		if _, err := pgd.Run(m, images, crit, 0.1); err != nil {
			t.Fatal(err)
		}
		if models, _ := attack.CacheSize(); models > attack.MaxCachedModels {
			t.Fatalf("after %d models the cache holds executors of %d models, at most %d allowed", i+1, models, attack.MaxCachedModels)
		}
		if i == 2*attack.MaxCachedModels {
			runtime.GC()
			atFull = rssBytes(t)
		}
	}
	runtime.GC()
	end := rssBytes(t)
	t.Logf("RSS %d MiB once the cache was full, %d MiB after 50 models", atFull>>20, end>>20)
	if growth := end - atFull; growth > 64<<20 {
		t.Errorf("memory grew by %d MiB over the last %d models", growth>>20, 50-2*attack.MaxCachedModels-1)
	}
}

func TestForget(t *testing.T) {
	m := linear(t, 99)
	images, labels, _ := sample(t, 2)
	pgd := attack.NewPGD(attack.Linf)
	pgd.Steps = 1
	_, before := attack.CacheSize()
	if _, err := pgd.Run(m, images, attack.Misclassification{Labels: labels}, 0.1); err != nil {
		t.Fatal(err)
	}
	attack.Forget(m)
	if _, after := attack.CacheSize(); after > before {
		t.Errorf("after Forget the cache holds %d executors, %d before the attack", after, before)
	}
	// Attacking it again compiles anew.
	if _, err := pgd.Run(m, images, attack.Misclassification{Labels: labels}, 0.1); err != nil {
		t.Fatal(err)
	}
	attack.Forget(m)
}
