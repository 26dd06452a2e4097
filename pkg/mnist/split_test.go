package mnist

import (
	"slices"
	"testing"
)

func TestSplitImageAndSubset(t *testing.T) {
	s := &Split{Images: make([]float32, 3*Pixels), Labels: []int{4, 5, 6}}
	for i := range s.Images {
		s.Images[i] = float32(i / Pixels)
	}
	if s.Len() != 3 {
		t.Fatalf("Len() = %d, want 3", s.Len())
	}
	img := s.Image(1)
	if len(img) != Pixels || cap(img) != Pixels || img[0] != 1 || img[Pixels-1] != 1 {
		t.Fatalf("Image(1): len %d cap %d values %v..%v, want %d, %d, 1..1", len(img), cap(img), img[0], img[Pixels-1], Pixels, Pixels)
	}
	img[0] = 9 // a view: writes through
	if s.Images[Pixels] != 9 {
		t.Error("Image does not return a view")
	}

	sub := s.Subset([]int{2, 1, 2})
	if !slices.Equal(sub.Labels, []int{6, 5, 6}) {
		t.Errorf("Subset labels = %v, want [6 5 6]", sub.Labels)
	}
	if sub.Image(0)[0] != 2 || sub.Image(1)[0] != 9 || sub.Image(2)[Pixels-1] != 2 {
		t.Error("Subset images are wrong")
	}
	sub.Image(1)[0] = 0 // a copy: does not write through
	if s.Images[Pixels] != 9 {
		t.Error("Subset does not copy")
	}

	defer func() {
		if recover() == nil {
			t.Error("Subset with an out-of-range index did not panic")
		}
	}()
	s.Subset([]int{3})
}

func TestHead(t *testing.T) {
	s := &Split{Images: make([]float32, 3*Pixels), Labels: []int{4, 5, 6}}
	s.Images[2*Pixels] = 0.5
	h := s.Head(2)
	if h.Len() != 2 || h.Labels[1] != 5 || len(h.Images) != 2*Pixels {
		t.Errorf("Head(2): %d examples, labels %v", h.Len(), h.Labels)
	}
	if all := s.Head(10); all.Len() != 3 || all.Images[2*Pixels] != 0.5 {
		t.Errorf("Head(10) of 3: %d examples", all.Len())
	}
	h.Labels[0] = 9
	if s.Labels[0] != 4 {
		t.Error("Head's copy aliases the split")
	}
	if s.Head(-1).Len() != 0 {
		t.Error("Head(-1) is not empty")
	}
}
