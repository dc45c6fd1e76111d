package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log"
	"net"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// rawCodec moves []byte messages without protobuf. It implements
// encoding.CodecV2 (grpc's current codec interface) rather than the v1
// encoding.Codec because v1 is bridged with an extra copy of every message.
// Unmarshal into *chunkSink copies straight into the caller's block buffer.
type rawCodec struct{}

type chunkSink struct {
	dst []byte
	n   int
}

func (rawCodec) Name() string { return "gospark-raw" }

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	switch m := v.(type) {
	case []byte:
		return mem.BufferSlice{mem.SliceBuffer(m)}, nil
	case *[]byte:
		return mem.BufferSlice{mem.SliceBuffer(*m)}, nil
	}
	return nil, fmt.Errorf("rawCodec: cannot marshal %T", v)
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	switch m := v.(type) {
	case *[]byte:
		*m = data.Materialize()
		return nil
	case *chunkSink:
		if data.Len() > len(m.dst) {
			return fmt.Errorf("rawCodec: chunk of %d bytes overflows buffer of %d", data.Len(), len(m.dst))
		}
		m.n = data.CopyTo(m.dst)
		return nil
	}
	return fmt.Errorf("rawCodec: cannot unmarshal into %T", v)
}

const (
	grpcService   = "gospark.bench.Bench"
	grpcCallPath  = "/" + grpcService + "/Call"
	grpcFetchPath = "/" + grpcService + "/Fetch"
	authKey       = "x-gospark-auth"
)

var grpcDesc = grpc.ServiceDesc{
	ServiceName: grpcService,
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "Call",
		Handler: func(srv any, ctx context.Context, dec func(any) error, ic grpc.UnaryServerInterceptor) (any, error) {
			var req []byte
			if err := dec(&req); err != nil {
				return nil, err
			}
			h := func(_ context.Context, r any) (any, error) { return handleSmall(r.([]byte)) }
			if ic == nil {
				return h(ctx, req)
			}
			// The interceptor (auth) only runs if the handler calls it.
			return ic(ctx, req, &grpc.UnaryServerInfo{Server: srv, FullMethod: grpcCallPath}, h)
		},
	}},
	Streams: []grpc.StreamDesc{{
		StreamName:    "Fetch",
		ServerStreams: true,
		Handler: func(_ any, ss grpc.ServerStream) error {
			var req []byte
			if err := ss.RecvMsg(&req); err != nil {
				return err
			}
			if len(req) != 8 {
				return status.Error(codes.InvalidArgument, "bad fetch request")
			}
			blk, err := blockFor(int(binary.LittleEndian.Uint64(req)))
			if err != nil {
				return status.Error(codes.NotFound, err.Error())
			}
			for off := 0; off < len(blk); off += chunkSize {
				if err := ss.SendMsg(blk[off:min(off+chunkSize, len(blk))]); err != nil {
					return err
				}
			}
			return nil
		},
	}},
}

func grpcCheckAuth(ctx context.Context, secret []byte, method string) error {
	md, _ := metadata.FromIncomingContext(ctx)
	if v := md.Get(authKey); len(v) == 1 && verifyToken(secret, method, v[0]) {
		return nil
	}
	log.Printf("grpc: refused unauthenticated call to %s", method)
	return status.Error(codes.Unauthenticated, "authentication failed")
}

// Tuned settings: fixed large flow-control windows (this turns off grpc's
// BDP estimator) and larger socket read/write buffers.
const (
	tunedStreamWindow = 4 << 20
	tunedConnWindow   = 16 << 20
	tunedIOBuffer     = 256 << 10
)

func serveGRPC(tuned bool) func(secret []byte) (string, func(), error) {
	return func(secret []byte) (string, func(), error) { return serveGRPCWith(secret, tuned) }
}

func serveGRPCWith(secret []byte, tuned bool) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	var opts []grpc.ServerOption
	if tuned {
		opts = append(opts,
			grpc.InitialWindowSize(tunedStreamWindow),
			grpc.InitialConnWindowSize(tunedConnWindow),
			grpc.ReadBufferSize(tunedIOBuffer),
			grpc.WriteBufferSize(tunedIOBuffer))
	}
	s := grpc.NewServer(append(opts,
		grpc.ForceServerCodecV2(rawCodec{}),
		grpc.UnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			if err := grpcCheckAuth(ctx, secret, info.FullMethod); err != nil {
				return nil, err
			}
			return h(ctx, req)
		}),
		grpc.StreamInterceptor(func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
			if err := grpcCheckAuth(ss.Context(), secret, info.FullMethod); err != nil {
				return err
			}
			return h(srv, ss)
		}),
	)...)
	s.RegisterService(&grpcDesc, struct{}{})
	go s.Serve(ln)
	return ln.Addr().String(), s.Stop, nil
}

// grpcClient signs every RPC with a fresh HMAC token in its metadata
// (method-bound, checked by the server interceptors).
type grpcClient struct {
	cc     *grpc.ClientConn
	secret []byte
}

func dialGRPC(tuned bool) func(addr string, secret []byte) (client, error) {
	return func(addr string, secret []byte) (client, error) { return dialGRPCWith(addr, secret, tuned) }
}

func dialGRPCWith(addr string, secret []byte, tuned bool) (client, error) {
	opts := []grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodecV2(rawCodec{})),
	}
	if tuned {
		opts = append(opts,
			grpc.WithInitialWindowSize(tunedStreamWindow),
			grpc.WithInitialConnWindowSize(tunedConnWindow),
			grpc.WithReadBufferSize(tunedIOBuffer),
			grpc.WithWriteBufferSize(tunedIOBuffer))
	}
	cc, err := grpc.NewClient("passthrough:///"+addr, opts...)
	if err != nil {
		return nil, err
	}
	cc.Connect()
	return &grpcClient{cc: cc, secret: secret}, nil
}

func (c *grpcClient) authCtx(ctx context.Context, method string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, authKey, makeToken(c.secret, method))
}

func (c *grpcClient) Call(ctx context.Context, req []byte) ([]byte, error) {
	var resp []byte
	err := c.cc.Invoke(c.authCtx(ctx, grpcCallPath), grpcCallPath, req, &resp)
	return resp, err
}

var grpcFetchDesc = &grpc.StreamDesc{StreamName: "Fetch", ServerStreams: true}

func (c *grpcClient) Fetch(ctx context.Context, id int, dst []byte) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	st, err := c.cc.NewStream(c.authCtx(ctx, grpcFetchPath), grpcFetchDesc, grpcFetchPath)
	if err != nil {
		return 0, err
	}
	var req [8]byte
	binary.LittleEndian.PutUint64(req[:], uint64(id))
	if err := st.SendMsg(req[:]); err != nil {
		return 0, err
	}
	if err := st.CloseSend(); err != nil {
		return 0, err
	}
	off := 0
	for {
		sink := chunkSink{dst: dst[off:]}
		err := st.RecvMsg(&sink)
		if errors.Is(err, io.EOF) {
			return off, nil
		}
		if err != nil {
			return off, err
		}
		off += sink.n
	}
}

func (c *grpcClient) Close() error { return c.cc.Close() }
