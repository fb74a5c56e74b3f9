using System;
using System.Collections.Generic;
using AnyMoLe.Bridge.Core.Contract;
using AnyMoLe.Bridge.Core.Json;

namespace AnyMoLe.Bridge.Core.Follow
{
    /// <summary>What a UI acts on, one per event (conformance README §4).</summary>
    public sealed class FollowerUpdate
    {
        /// <summary>"state", "stage", "progress", "preview", "pose", "log", "result", "error",
        /// "reattach".</summary>
        public string Kind;
        public string State = "";
        public string Stage = "";
        public float Fraction;
        public string Message = "";
        public int FrameIndex;
        public int Step;
        public bool Final;
        public string Level = "";
        public int Code;
        public ulong AfterEvent;
        public PreviewFrameData Preview;
        public MotionPreviewData Pose;
        public TransitionResultData Result;

        /// <summary>The update as the conformance kit spells it.</summary>
        public JsonValue ToJson()
        {
            var o = JsonValue.NewObject();
            o.Set("kind", JsonValue.Str(Kind));
            switch (Kind)
            {
                case "state": o.Set("state", JsonValue.Str(State)); break;
                case "stage": o.Set("stage", JsonValue.Str(Stage)); break;
                case "progress":
                    o.Set("fraction", JsonValue.Float(Fraction));
                    o.Set("message", JsonValue.Str(Message));
                    break;
                case "preview":
                    o.Set("frameIndex", JsonValue.Int(FrameIndex));
                    o.Set("stage", JsonValue.Str(Stage));
                    o.Set("step", JsonValue.Int(Step));
                    break;
                case "pose":
                    o.Set("stage", JsonValue.Str(Stage));
                    o.Set("step", JsonValue.Int(Step));
                    o.Set("final", JsonValue.Bool(Final));
                    break;
                case "log":
                    o.Set("level", JsonValue.Str(Level));
                    o.Set("message", JsonValue.Str(Message));
                    break;
                case "error":
                    o.Set("code", JsonValue.Int(Code));
                    o.Set("message", JsonValue.Str(Message));
                    break;
                case "reattach": o.Set("afterEvent", JsonValue.UInt(AfterEvent)); break;
            }
            return o;
        }

        public override string ToString()
        {
            return ToJson().ToString();
        }
    }

    /// <summary>
    /// The job follower: a sans-IO state machine from a job's events to UI updates. No I/O, no
    /// threads, no clocks: the caller owns the transport and calls <see cref="Disconnected"/>
    /// when a stream ends without a terminal event, then watches again from
    /// <see cref="LastSeq"/>.
    /// </summary>
    public sealed class JobFollower
    {
        public JobFollower(string jobId = "", ulong afterEvent = 0)
        {
            JobId = jobId ?? "";
            LastSeq = afterEvent;
            State = "JOB_STATE_UNSPECIFIED";
            Stage = "";
        }

        public string JobId { get; private set; }
        /// <summary>The seq of the last event seen: WatchJob's after_event on reattach.</summary>
        public ulong LastSeq { get; private set; }
        /// <summary>A terminal event (result or error) arrived.</summary>
        public bool Done { get; private set; }
        /// <summary>The largest progress fraction so far.</summary>
        public float Fraction { get; private set; }
        public string Stage { get; private set; }
        public string State { get; private set; }
        public int Reattaches { get; private set; }
        public TransitionResultData Result { get; private set; }
        public FollowerUpdate Error { get; private set; }
        public MotionPreviewData LastPose { get; private set; }

        /// <summary>Updates for one event: none for a repeated or late event or a kind newer than
        /// this client.</summary>
        public List<FollowerUpdate> Feed(JobEventData e)
        {
            if (Done || e.Seq <= LastSeq) return new List<FollowerUpdate>();
            if (JobId.Length == 0) JobId = e.JobId;
            LastSeq = e.Seq;
            if (e.JobState != "JOB_STATE_UNSPECIFIED") State = e.JobState;
            FollowerUpdate u = null;
            switch (e.Kind)
            {
                case "state":
                    State = e.State;
                    u = new FollowerUpdate { Kind = "state", State = e.State };
                    break;
                case "stage":
                    Stage = e.Stage;
                    u = new FollowerUpdate { Kind = "stage", Stage = e.Stage };
                    break;
                case "progress":
                    Fraction = Math.Max(Fraction, e.Fraction);
                    u = new FollowerUpdate { Kind = "progress", Fraction = Fraction, Message = e.Message };
                    break;
                case "preview":
                    u = new FollowerUpdate { Kind = "preview", FrameIndex = e.Preview.FrameIndex, Stage = e.Preview.Stage, Step = e.Preview.Step, Preview = e.Preview };
                    break;
                case "pose":
                    LastPose = e.Pose;
                    u = new FollowerUpdate { Kind = "pose", Stage = e.Pose.Stage, Step = e.Pose.Step, Final = e.Pose.Final, Pose = e.Pose };
                    break;
                case "log":
                    u = new FollowerUpdate { Kind = "log", Level = e.Level, Message = e.Message };
                    break;
                case "result":
                    Done = true;
                    Result = e.Result;
                    u = new FollowerUpdate { Kind = "result", Result = e.Result };
                    break;
                case "error":
                    Done = true;
                    u = new FollowerUpdate { Kind = "error", Code = e.Code, Message = e.Message };
                    Error = u;
                    break;
            }
            var list = new List<FollowerUpdate>();
            if (u != null) list.Add(u);
            return list;
        }

        /// <summary>The stream dropped or ended: a reattach update unless the job is done.</summary>
        public List<FollowerUpdate> Disconnected()
        {
            if (Done) return new List<FollowerUpdate>();
            Reattaches++;
            return new List<FollowerUpdate> { new FollowerUpdate { Kind = "reattach", AfterEvent = LastSeq } };
        }
    }
}
