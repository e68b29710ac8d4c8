package sdk

import (
	pb "github.com/globalautomation/gahost/proto/exchange/v1"
	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
)

// The boundary tests (package sdk_test) pair this package's serving side
// with package pluginhost's client over a real gRPC connection; these give
// them the serving side without a plugin process.

// NewServer is the gRPC service Serve registers for impl.
func NewServer(impl Exchange) pb.ExchangeServer { return &server{impl: impl} }

// ServerInterceptor is the interceptor Serve installs.
func ServerInterceptor() grpc.UnaryServerInterceptor {
	return serverInterceptor(hclog.NewNullLogger())
}
