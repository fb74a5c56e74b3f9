// One transition job against the server: GetServerInfo and the version rule, SubmitJob, then
// WatchJob through the Core's JobFollower, reattaching after a dropped stream. Continuations run
// on the thread pool (ConfigureAwait(false)) so batch mode can block on the task; observer
// callbacks go through `post`, which the editor window points at Unity's main thread.
using System;
using System.Threading;
using System.Threading.Tasks;
using AnyMoLe.Bridge.Core;
using AnyMoLe.Bridge.Core.Clip;
using AnyMoLe.Bridge.Core.Contract;
using AnyMoLe.Bridge.Core.Follow;
using AnyMoLe.Bridge.V1;
using Google.Protobuf;
using Grpc.Core;

namespace AnyMoLe.Bridge.Grpc
{
    /// <summary>A failed call or job, with the message the user reads.</summary>
    public sealed class BridgeException : Exception
    {
        public BridgeException(int statusCode, string message, string field) : base(message)
        {
            StatusCode = statusCode;
            Field = field ?? "";
        }

        /// <summary>A gRPC status code number (StatusCodes), 0 for a client-side problem.</summary>
        public int StatusCode { get; private set; }
        /// <summary>The field the server named (INVALID_ARGUMENT), or "".</summary>
        public string Field { get; private set; }
    }

    /// <summary>Receives a job's progress (on the thread <c>post</c> runs actions on).</summary>
    public interface ITransitionObserver
    {
        void OnServerInfo(ServerInfoData info, string versionWarning);
        void OnSubmitted(string jobId);
        void OnUpdate(FollowerUpdate update);
    }

    public sealed class TransitionJobRunner
    {
        /// <summary>Reattach attempts after a dropped stream before asking GetJob.</summary>
        public const int MaxReattaches = 5;

        readonly BridgeSettings settings;
        readonly Action<Action> post;
        string jobId = "";

        public TransitionJobRunner(BridgeSettings settings, Action<Action> post)
        {
            this.settings = settings.Clone();
            this.post = post ?? (a => a());
        }

        public string JobId { get { return jobId; } }

        AnymoleServiceClient Client()
        {
            try
            {
                return BridgeChannel.Client(settings);
            }
            catch (ArgumentException e)
            {
                throw new BridgeException(0, e.Message, "server");
            }
        }

        BridgeException Wrap(RpcException e)
        {
            string field = "";
            if (e.Trailers != null)
            {
                var f = e.Trailers.GetValue("anymole-field");
                if (f != null) field = f;
            }
            string address;
            try
            {
                address = settings.ToString();
            }
            catch (ArgumentException)
            {
                address = settings.Address;
            }
            return new BridgeException((int)e.StatusCode, StatusMessages.ForStatus((int)e.StatusCode, e.Status.Detail, field, address), field);
        }

        /// <summary>GetServerInfo and the version rule: refuses another major version.</summary>
        public async Task<ServerInfoData> GetServerInfoAsync(CancellationToken ct)
        {
            GetServerInfoResponse response;
            try
            {
                response = await Client().GetServerInfoAsync(new GetServerInfoRequest(), TimeSpan.FromSeconds(10), ct).ResponseAsync.ConfigureAwait(false);
            }
            catch (RpcException e)
            {
                throw Wrap(e);
            }
            var info = ContractJson.ToCore(response);
            string message;
            if (VersionRule.Check(info.ProtocolVersion, out message) == VersionOutcome.Refuse)
                throw new BridgeException(StatusCodes.FailedPrecondition, "Incompatible AnyMoLe server: " + message, "protocolVersion");
            return info;
        }

        /// <summary>
        /// Runs the plan's job to its end and returns the result. Throws
        /// <see cref="BridgeException"/> for a failed, cancelled or interrupted job or an
        /// unreachable server; nothing is written by this class.
        /// </summary>
        public async Task<TransitionResultData> RunAsync(TransitionPlan plan, ITransitionObserver observer, CancellationToken ct)
        {
            var info = await GetServerInfoAsync(ct).ConfigureAwait(false);
            string warning;
            VersionRule.Check(info.ProtocolVersion, out warning);
            post(() => observer.OnServerInfo(info, warning));

            TransitionInput input;
            try
            {
                input = ContractJson.ToInput(plan.Input);
            }
            catch (InvalidProtocolBufferException e)
            {
                throw new BridgeException(0, "internal error: the request does not fit the contract (" + e.Message + ")", "input");
            }
            SubmitJobResponse submitted;
            try
            {
                submitted = await Client().SubmitJobAsync(new SubmitJobRequest { Input = input }, settings.UnaryTimeout, ct).ResponseAsync.ConfigureAwait(false);
            }
            catch (RpcException e)
            {
                throw Wrap(e);
            }
            jobId = submitted.JobId;
            post(() => observer.OnSubmitted(jobId));
            return await FollowAsync(jobId, 0, plan.JointCount, observer, ct).ConfigureAwait(false);
        }

        /// <summary>Watches a job (also one submitted before a domain reload) to its end.</summary>
        public async Task<TransitionResultData> FollowAsync(string id, ulong afterEvent, int jointCount, ITransitionObserver observer, CancellationToken ct)
        {
            jobId = id;
            var follower = new JobFollower(id, afterEvent);
            int drops = 0;
            while (!follower.Done)
            {
                ct.ThrowIfCancellationRequested();
                bool dropped = false;
                try
                {
                    using (var call = Client().WatchJob(new WatchJobRequest { JobId = id, AfterEvent = follower.LastSeq }, null, ct))
                    {
                        while (await call.ResponseStream.MoveNext(ct).ConfigureAwait(false))
                        {
                            var e = ContractJson.ToCore(call.ResponseStream.Current, jointCount);
                            foreach (var u in follower.Feed(e))
                            {
                                var update = u;
                                post(() => observer.OnUpdate(update));
                            }
                            drops = 0;
                            if (follower.Done) break;
                        }
                    }
                    dropped = !follower.Done;
                }
                catch (RpcException e)
                {
                    if (ct.IsCancellationRequested) throw new OperationCanceledException(ct);
                    if (!StatusCodes.IsTransient((int)e.StatusCode)) throw Wrap(e);
                    dropped = true;
                }
                if (!dropped) break;
                foreach (var u in follower.Disconnected())
                {
                    var update = u;
                    post(() => observer.OnUpdate(update));
                }
                if (++drops > MaxReattaches)
                    return await FinishFromGetJobAsync(id, jointCount, ct).ConfigureAwait(false);
                await Task.Delay(TimeSpan.FromMilliseconds(250 * drops), ct).ConfigureAwait(false);
            }
            if (follower.Result != null) return follower.Result;
            var err = follower.Error;
            int code = err != null ? err.Code : StatusCodes.Unknown;
            throw new BridgeException(code, code == StatusCodes.Cancelled ? "Cancelled: the job was stopped; the clip is unchanged." : "The job failed: " + (err != null ? err.Message : "no result"), "");
        }

        async Task<TransitionResultData> FinishFromGetJobAsync(string id, int jointCount, CancellationToken ct)
        {
            GetJobResponse job;
            try
            {
                job = await Client().GetJobAsync(new GetJobRequest { JobId = id }, settings.UnaryTimeout, ct).ResponseAsync.ConfigureAwait(false);
            }
            catch (RpcException e)
            {
                throw Wrap(e);
            }
            if (job.Job.Result != null && job.Job.State == JobState.Succeeded) return ContractJson.ToCore(job.Job.Result, jointCount);
            throw new BridgeException(StatusCodes.Unavailable, "Lost the connection to the server while job " + id + " ran (" + job.Job.State + "); reopen the window to resume it.", "");
        }

        /// <summary>Asks the server to cancel the running job; its stream then ends with a
        /// CANCELLED error.</summary>
        public async Task CancelAsync()
        {
            if (string.IsNullOrEmpty(jobId)) return;
            try
            {
                await Client().CancelJobAsync(new CancelJobRequest { JobId = jobId }, settings.UnaryTimeout, CancellationToken.None).ResponseAsync.ConfigureAwait(false);
            }
            catch (RpcException e)
            {
                throw Wrap(e);
            }
        }
    }
}
