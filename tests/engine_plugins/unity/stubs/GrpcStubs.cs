// Minimal hand-written stand-ins for the engine / gRPC APIs the package's Unity-only code uses,
// declared with the real names and signatures, bodies empty. Only for test_unity_layer_stubs.py:
// compiling Runtime/Grpc, Editor and Tests/Editor against them catches typos and type errors
// outside Unity. They are not the real assemblies; passing here does not prove Unity compiles it.

using System; using System.Threading; using System.Threading.Tasks; 
namespace Google.Protobuf {
  public interface IMessage {} public interface IMessage<T> : IMessage where T : IMessage<T> {}
  public class MessageParser<T> where T : IMessage<T> { public T ParseFrom(byte[] b) { return default(T); } public T ParseFrom(ByteString b) { return default(T); } }
  public class ByteString {}
  public static class MessageExtensions { public static byte[] ToByteArray(this IMessage m) { return null; } }
  public class JsonFormatter { public class Settings { public static Settings Default { get { return null; } } } public JsonFormatter(Settings s) {} public string Format(IMessage m) { return ""; } }
  public class JsonParser { public class Settings { public static Settings Default { get { return null; } } } public JsonParser(Settings s) {} public T Parse<T>(string json) where T : IMessage, new() { return new T(); } }
  public class InvalidProtocolBufferException : Exception {}
}
namespace Grpc.Core {
  public enum MethodType { Unary, ClientStreaming, ServerStreaming, DuplexStreaming }
  public enum StatusCode { OK = 0, Cancelled = 1, Unavailable = 14 }
  public class Marshaller<T> {} public static class Marshallers { public static Marshaller<T> Create<T>(Func<T, byte[]> s, Func<byte[], T> d) { return null; } }
  public class Method<TReq, TResp> { public Method(MethodType t, string service, string name, Marshaller<TReq> a, Marshaller<TResp> b) {} }
  public class Metadata { public void Add(string k, string v) {} public string GetValue(string k) { return null; } }
  public struct CallOptions { public CallOptions(Metadata headers = null, DateTime? deadline = null, CancellationToken cancellationToken = default(CancellationToken)) {} }
  public sealed class AsyncUnaryCall<T> : IDisposable { public Task<T> ResponseAsync { get { return null; } } public void Dispose() {} }
  public interface IAsyncStreamReader<T> { T Current { get; } Task<bool> MoveNext(CancellationToken ct); }
  public sealed class AsyncServerStreamingCall<T> : IDisposable { public IAsyncStreamReader<T> ResponseStream { get { return null; } } public void Dispose() {} }
  public abstract class CallInvoker {
    public abstract AsyncUnaryCall<TResp> AsyncUnaryCall<TReq, TResp>(Method<TReq, TResp> m, string host, CallOptions o, TReq r) where TReq : class where TResp : class;
    public abstract AsyncServerStreamingCall<TResp> AsyncServerStreamingCall<TReq, TResp>(Method<TReq, TResp> m, string host, CallOptions o, TReq r) where TReq : class where TResp : class; }
  public struct Status { public StatusCode StatusCode { get { return 0; } } public string Detail { get { return ""; } } }
  public class RpcException : Exception { public Status Status { get { return default(Status); } } public StatusCode StatusCode { get { return 0; } } public Metadata Trailers { get { return null; } } }
}
namespace Grpc.Net.Client {
  public class GrpcChannelOptions { public object HttpHandler { get; set; } public bool DisposeHttpClient { get; set; } public int? MaxReceiveMessageSize { get; set; } public int? MaxSendMessageSize { get; set; } }
  public sealed class GrpcChannel : IDisposable { public static GrpcChannel ForAddress(Uri u, GrpcChannelOptions o) { return null; } public Grpc.Core.CallInvoker CreateCallInvoker() { return null; } public void Dispose() {} }
}
namespace Cysharp.Net.Http { public class YetAnotherHttpHandler { public bool Http2Only { get; set; } public string RootCertificates { get; set; } } }
namespace AnyMoLe.Bridge.V1 {
  using Google.Protobuf;
  public enum JobState { Unspecified = 0, Succeeded = 3 }
  public class M<T> : IMessage<T> where T : M<T>, new() { public static MessageParser<T> Parser { get { return null; } } }
  public class GetServerInfoRequest : M<GetServerInfoRequest> {} public class GetServerInfoResponse : M<GetServerInfoResponse> {}
  public class SubmitJobRequest : M<SubmitJobRequest> { public TransitionInput Input { get; set; } } public class SubmitJobResponse : M<SubmitJobResponse> { public string JobId { get; set; } }
  public class WatchJobRequest : M<WatchJobRequest> { public string JobId { get; set; } public ulong AfterEvent { get; set; } }
  public class JobEvent : M<JobEvent> {} public class CancelJobRequest : M<CancelJobRequest> { public string JobId { get; set; } } public class CancelJobResponse : M<CancelJobResponse> {}
  public class GetJobRequest : M<GetJobRequest> { public string JobId { get; set; } } public class GetJobResponse : M<GetJobResponse> { public Job Job { get; set; } }
  public class Job : M<Job> { public TransitionResult Result { get; set; } public JobState State { get; set; } }
  public class TransitionResult : M<TransitionResult> {} public class TransitionInput : M<TransitionInput> {}
  public class ListJobsRequest : M<ListJobsRequest> {} public class ListJobsResponse : M<ListJobsResponse> {} public class TransitionRequest : M<TransitionRequest> {}
}
