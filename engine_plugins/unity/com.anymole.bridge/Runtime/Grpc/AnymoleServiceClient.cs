// The seven calls of anymole.v1.AnymoleService over a CallInvoker. No C# gRPC code generator is
// installable on the build machines, so this is written by hand against the same names the
// generator would use; the messages are generated (Generated/*.g.cs). Unary and
// server-streaming only, so gRPC-Web handlers can carry it too.
using System;
using System.Threading;
using Google.Protobuf;
using Grpc.Core;

namespace AnyMoLe.Bridge.V1
{
    /// <summary>Client for anymole.v1.AnymoleService.</summary>
    public sealed class AnymoleServiceClient
    {
        public const string ServiceName = "anymole.v1.AnymoleService";

        static Marshaller<T> M<T>(MessageParser<T> parser) where T : class, IMessage<T>
        {
            return Marshallers.Create<T>(m => m.ToByteArray(), parser.ParseFrom);
        }

        static readonly Method<GetServerInfoRequest, GetServerInfoResponse> GetServerInfoMethod =
            new Method<GetServerInfoRequest, GetServerInfoResponse>(MethodType.Unary, ServiceName, "GetServerInfo", M(GetServerInfoRequest.Parser), M(GetServerInfoResponse.Parser));
        static readonly Method<SubmitJobRequest, SubmitJobResponse> SubmitJobMethod =
            new Method<SubmitJobRequest, SubmitJobResponse>(MethodType.Unary, ServiceName, "SubmitJob", M(SubmitJobRequest.Parser), M(SubmitJobResponse.Parser));
        static readonly Method<WatchJobRequest, JobEvent> WatchJobMethod =
            new Method<WatchJobRequest, JobEvent>(MethodType.ServerStreaming, ServiceName, "WatchJob", M(WatchJobRequest.Parser), M(JobEvent.Parser));
        static readonly Method<CancelJobRequest, CancelJobResponse> CancelJobMethod =
            new Method<CancelJobRequest, CancelJobResponse>(MethodType.Unary, ServiceName, "CancelJob", M(CancelJobRequest.Parser), M(CancelJobResponse.Parser));
        static readonly Method<GetJobRequest, GetJobResponse> GetJobMethod =
            new Method<GetJobRequest, GetJobResponse>(MethodType.Unary, ServiceName, "GetJob", M(GetJobRequest.Parser), M(GetJobResponse.Parser));
        static readonly Method<ListJobsRequest, ListJobsResponse> ListJobsMethod =
            new Method<ListJobsRequest, ListJobsResponse>(MethodType.Unary, ServiceName, "ListJobs", M(ListJobsRequest.Parser), M(ListJobsResponse.Parser));
        static readonly Method<TransitionRequest, JobEvent> TransitionMethod =
            new Method<TransitionRequest, JobEvent>(MethodType.ServerStreaming, ServiceName, "Transition", M(TransitionRequest.Parser), M(JobEvent.Parser));

        readonly CallInvoker invoker;
        readonly Func<Metadata> headers;

        /// <param name="invoker">From a GrpcChannel (channel.CreateCallInvoker()).</param>
        /// <param name="headers">Metadata for every call (the bearer token), or null.</param>
        public AnymoleServiceClient(CallInvoker invoker, Func<Metadata> headers)
        {
            if (invoker == null) throw new ArgumentNullException("invoker");
            this.invoker = invoker;
            this.headers = headers;
        }

        CallOptions Options(TimeSpan? timeout, CancellationToken ct)
        {
            DateTime? deadline = null;
            if (timeout.HasValue) deadline = DateTime.UtcNow + timeout.Value;
            return new CallOptions(headers != null ? headers() : null, deadline, ct);
        }

        public AsyncUnaryCall<GetServerInfoResponse> GetServerInfoAsync(GetServerInfoRequest request, TimeSpan? timeout, CancellationToken ct)
        {
            return invoker.AsyncUnaryCall(GetServerInfoMethod, null, Options(timeout, ct), request);
        }

        public AsyncUnaryCall<SubmitJobResponse> SubmitJobAsync(SubmitJobRequest request, TimeSpan? timeout, CancellationToken ct)
        {
            return invoker.AsyncUnaryCall(SubmitJobMethod, null, Options(timeout, ct), request);
        }

        /// <summary>Events with seq &gt; after_event, then live ones. Cancelling the call does not
        /// cancel the job.</summary>
        public AsyncServerStreamingCall<JobEvent> WatchJob(WatchJobRequest request, TimeSpan? timeout, CancellationToken ct)
        {
            return invoker.AsyncServerStreamingCall(WatchJobMethod, null, Options(timeout, ct), request);
        }

        public AsyncUnaryCall<CancelJobResponse> CancelJobAsync(CancelJobRequest request, TimeSpan? timeout, CancellationToken ct)
        {
            return invoker.AsyncUnaryCall(CancelJobMethod, null, Options(timeout, ct), request);
        }

        public AsyncUnaryCall<GetJobResponse> GetJobAsync(GetJobRequest request, TimeSpan? timeout, CancellationToken ct)
        {
            return invoker.AsyncUnaryCall(GetJobMethod, null, Options(timeout, ct), request);
        }

        public AsyncUnaryCall<ListJobsResponse> ListJobsAsync(ListJobsRequest request, TimeSpan? timeout, CancellationToken ct)
        {
            return invoker.AsyncUnaryCall(ListJobsMethod, null, Options(timeout, ct), request);
        }

        /// <summary>SubmitJob + WatchJob in one call; cancelling it cancels the job.</summary>
        public AsyncServerStreamingCall<JobEvent> Transition(TransitionRequest request, TimeSpan? timeout, CancellationToken ct)
        {
            return invoker.AsyncServerStreamingCall(TransitionMethod, null, Options(timeout, ct), request);
        }
    }
}
