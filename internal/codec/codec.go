package codec

import (
	"fmt"
	"net/http"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
)

// Encoding is the metadata encoding of a payload this codec compressed
// (the SDK's zlib codec's). Old histories hold it: never change it.
const Encoding = "binary/zlib"

// MinSize is the size of a payload's data (bytes) from which the payload
// is compressed. Below it the saving is a few dozen bytes at
// most, while the payload would no longer be readable without a codec
// server, and each compression costs a deflate state of several hundred
// KiB. A payload of MinSize or more is compressed only if that makes it
// smaller.
const MinSize = 1024

// compressor is the SDK's zlib codec for payloads of MinSize bytes or
// more; smaller ones pass through.
type compressor struct {
	zlib converter.PayloadCodec
}

// Codec is Lazarus's payload codec: zlib for payloads of MinSize bytes or
// more when it makes them smaller. Its Decode decompresses "binary/zlib"
// payloads of any size and passes every other payload through.
func Codec() converter.PayloadCodec {
	return compressor{zlib: converter.NewZlibCodec(converter.ZlibCodecOptions{})}
}

// Encode compresses the payloads of MinSize bytes or more that compress.
func (c compressor) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if len(p.GetData()) < MinSize {
			out[i] = p
			continue
		}
		enc, err := c.zlib.Encode([]*commonpb.Payload{p})
		if err != nil {
			return payloads, fmt.Errorf("compress payload %d: %w", i, err)
		}
		out[i] = enc[0]
	}
	return out, nil
}

// Decode decompresses the "binary/zlib" payloads; others pass through.
func (c compressor) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out, err := c.zlib.Decode(payloads)
	if err != nil {
		return payloads, fmt.Errorf("decompress payload: %w", err)
	}
	return out, nil
}

// DataConverter is the data converter of Lazarus's clients and workers:
// the SDK's default converter (JSON) with Codec. It reads payloads written
// without the codec as well.
func DataConverter() converter.DataConverter {
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), Codec())
}

// WithRemote is DataConverter with a remote codec (the temporal CLI's
// --codec-endpoint, converter.NewRemotePayloadCodec) after compression:
// a payload is compressed first and then given to the remote codec
// (which may encrypt it: encrypted bytes no longer compress), and on the
// way back the remote codec decodes first and then Codec decompresses.
func WithRemote(remote converter.PayloadCodec) converter.DataConverter {
	// NewCodecDataConverter encodes with the last codec first.
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), remote, Codec())
}

// ForClient is the data converter of a client or worker: DataConverter,
// or WithRemote of the remote codec at endpoint (the codec server
// protocol; namespace goes in X-Namespace, auth, when set, in
// Authorization) when endpoint is not empty.
func ForClient(endpoint, auth, namespace string) converter.DataConverter {
	if endpoint == "" {
		return DataConverter()
	}
	return WithRemote(converter.NewRemotePayloadCodec(converter.RemotePayloadCodecOptions{
		Endpoint: endpoint,
		ModifyRequest: func(r *http.Request) error {
			r.Header.Set("X-Namespace", namespace)
			if auth != "" {
				r.Header.Set("Authorization", auth)
			}
			return nil
		},
	}))
}
