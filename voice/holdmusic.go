package voice

import (
	"bytes"
	"encoding/binary"
	"math"
	"sync"
)

// Hold music is made here, note by note, rather than bundled: it is
// Ringdesk's own, with no licence to track and nothing fetched at run
// time. It is a slow, quiet arpeggio over four chords (C, A minor, F, G),
// each note a soft-edged mix of a tone and its octave, as 16-bit mono PCM
// at 8 kHz, the telephone's rate, in a WAV file both providers play.

// holdRate is the hold music's sample rate, in samples a second.
const holdRate = 8000

var (
	holdOnce sync.Once
	holdWAV  []byte
)

// HoldMusic returns the hold music as a WAV file of HoldSeconds.
func HoldMusic() []byte {
	holdOnce.Do(func() { holdWAV = wav(holdSamples(), holdRate) })
	return holdWAV
}

// holdSamples plays the arpeggio for HoldSeconds.
func holdSamples() []int16 {
	// MIDI note numbers: each chord's notes, played up and back down.
	chords := [][]int{
		{48, 55, 60, 64}, // C
		{45, 52, 57, 60}, // A minor
		{41, 48, 53, 57}, // F
		{43, 50, 55, 59}, // G
	}
	const noteSeconds = 0.42
	noteLen := int(noteSeconds * holdRate)
	total := HoldSeconds * holdRate
	out := make([]float64, total)
	for start, i := 0, 0; start < total; start, i = start+noteLen, i+1 {
		chord := chords[(i/8)%len(chords)]
		step := i % 8
		if step >= 4 {
			step = 7 - step
		}
		freq := 440 * math.Pow(2, float64(chord[step]-69)/12)
		// Each note rings on under the next for a smoother line.
		ring := 3 * noteLen
		for n := 0; n < ring && start+n < total; n++ {
			t := float64(n) / holdRate
			env := math.Min(1, float64(n)/(0.02*holdRate)) * math.Exp(-3.2*t)
			out[start+n] += env * (0.7*math.Sin(2*math.Pi*freq*t) + 0.3*math.Sin(4*math.Pi*freq*t))
		}
	}
	// Fade the ends so that the loop the caller hears has no click, and
	// keep well below full scale: hold music should never be loud.
	fade := holdRate / 2
	samples := make([]int16, total)
	for n, v := range out {
		g := 0.22
		if n < fade {
			g *= float64(n) / float64(fade)
		} else if left := total - 1 - n; left < fade {
			g *= float64(left) / float64(fade)
		}
		samples[n] = int16(math.Round(math.Max(-1, math.Min(1, v*g)) * math.MaxInt16))
	}
	return samples
}

// wav writes samples as a 16-bit mono PCM WAV file.
func wav(samples []int16, rate int) []byte {
	var b bytes.Buffer
	data := uint32(2 * len(samples))
	b.WriteString("RIFF")
	_ = binary.Write(&b, binary.LittleEndian, 36+data)
	b.WriteString("WAVEfmt ")
	_ = binary.Write(&b, binary.LittleEndian, struct {
		Size          uint32
		Format        uint16
		Channels      uint16
		Rate          uint32
		ByteRate      uint32
		BlockAlign    uint16
		BitsPerSample uint16
	}{16, 1, 1, uint32(rate), uint32(2 * rate), 2, 16})
	b.WriteString("data")
	_ = binary.Write(&b, binary.LittleEndian, data)
	_ = binary.Write(&b, binary.LittleEndian, samples)
	return b.Bytes()
}
