package telephony

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
)

// ErrNoCommonCodec means the peer's SDP has no G.711 format we can use.
var ErrNoCommonCodec = errors.New("no common codec: peer offers neither PCMU nor PCMA")

// MediaOffer is what one side of a call proposes or accepts.
type MediaOffer struct {
	Addr   *net.UDPAddr
	Codecs []Codec // in preference order
	DTMFPT uint8   // 0: no telephone-event
}

// BuildSDP writes an SDP body for an audio stream on addr.
func BuildSDP(o MediaOffer) ([]byte, error) {
	ip := o.Addr.IP.String()
	id := uint64(rand.Uint32())
	formats := make([]string, 0, len(o.Codecs)+1)
	attrs := []sdp.Attribute{}
	for _, c := range o.Codecs {
		formats = append(formats, strconv.Itoa(int(c.PayloadType)))
		attrs = append(attrs, sdp.NewAttribute("rtpmap", fmt.Sprintf("%d %s/8000", c.PayloadType, c.Name)))
	}
	if o.DTMFPT != 0 {
		formats = append(formats, strconv.Itoa(int(o.DTMFPT)))
		attrs = append(attrs,
			sdp.NewAttribute("rtpmap", fmt.Sprintf("%d telephone-event/8000", o.DTMFPT)),
			sdp.NewAttribute("fmtp", fmt.Sprintf("%d 0-16", o.DTMFPT)))
	}
	attrs = append(attrs, sdp.NewAttribute("ptime", "20"), sdp.NewPropertyAttribute("sendrecv"))
	d := sdp.SessionDescription{
		Version: 0,
		Origin: sdp.Origin{
			Username: "outcall", SessionID: id, SessionVersion: id,
			NetworkType: "IN", AddressType: "IP4", UnicastAddress: ip,
		},
		SessionName:           "outcall",
		ConnectionInformation: &sdp.ConnectionInformation{NetworkType: "IN", AddressType: "IP4", Address: &sdp.Address{Address: ip}},
		TimeDescriptions:      []sdp.TimeDescription{{Timing: sdp.Timing{}}},
		MediaDescriptions: []*sdp.MediaDescription{{
			MediaName: sdp.MediaName{
				Media:   "audio",
				Port:    sdp.RangedPort{Value: o.Addr.Port},
				Protos:  []string{"RTP", "AVP"},
				Formats: formats,
			},
			Attributes: attrs,
		}},
	}
	return d.Marshal()
}

// ParseSDP reads the first audio stream of an SDP body: its address, the
// G.711 codecs in the peer's order and the telephone-event payload type.
func ParseSDP(body []byte) (MediaOffer, error) {
	var d sdp.SessionDescription
	if err := d.UnmarshalString(string(body)); err != nil {
		return MediaOffer{}, fmt.Errorf("malformed SDP: %w", err)
	}
	var md *sdp.MediaDescription
	for _, m := range d.MediaDescriptions {
		if m.MediaName.Media == "audio" {
			md = m
			break
		}
	}
	if md == nil {
		return MediaOffer{}, errors.New("SDP has no audio stream")
	}
	conn := md.ConnectionInformation
	if conn == nil {
		conn = d.ConnectionInformation
	}
	if conn == nil || conn.Address == nil {
		return MediaOffer{}, errors.New("SDP has no connection address")
	}
	ip := net.ParseIP(conn.Address.Address)
	if ip == nil {
		return MediaOffer{}, fmt.Errorf("SDP connection address %q is not an IP address", conn.Address.Address)
	}
	port := md.MediaName.Port.Value
	if port <= 0 || port > 65535 {
		return MediaOffer{}, fmt.Errorf("SDP audio port %d is not usable", port)
	}
	o := MediaOffer{Addr: &net.UDPAddr{IP: ip, Port: port}}
	rtpmap := map[string]string{}
	for _, a := range md.Attributes {
		if a.Key == "rtpmap" {
			pt, enc, ok := strings.Cut(a.Value, " ")
			if ok {
				rtpmap[pt] = strings.ToLower(enc)
			}
		}
	}
	for _, f := range md.MediaName.Formats {
		enc := rtpmap[f]
		switch {
		case f == "0" || strings.HasPrefix(enc, "pcmu/8000"):
			if f == "0" {
				o.Codecs = append(o.Codecs, PCMU)
			}
		case f == "8" || strings.HasPrefix(enc, "pcma/8000"):
			if f == "8" {
				o.Codecs = append(o.Codecs, PCMA)
			}
		case strings.HasPrefix(enc, "telephone-event/8000"):
			if pt, err := strconv.Atoi(f); err == nil && pt > 95 && pt < 128 {
				o.DTMFPT = uint8(pt)
			}
		}
	}
	return o, nil
}

// Negotiate picks the first codec of ours (in our order) that the peer
// also lists.
func Negotiate(ours []Codec, theirs MediaOffer) (Codec, error) {
	for _, c := range ours {
		for _, t := range theirs.Codecs {
			if c == t {
				return c, nil
			}
		}
	}
	return Codec{}, ErrNoCommonCodec
}
