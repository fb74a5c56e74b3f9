using System.Collections.Generic;
using System.Globalization;
using AnyMoLe.Bridge.Core.Contract;

namespace AnyMoLe.Bridge.Core.Follow
{
    /// <summary>
    /// What an editor window shows for one job, folded from follower updates: a status line, the
    /// progress bar, the latest preview image and pose, the log tail, the end state. Kept out of
    /// the UI code so it is tested without an editor.
    /// </summary>
    public sealed class JobViewState
    {
        public const int LogLines = 50;

        public bool Running;
        public bool Finished;
        public bool Succeeded;
        public string JobId = "";
        public string State = "JOB_STATE_UNSPECIFIED";
        public string Stage = "";
        public float Fraction;
        public string Status = "Idle";
        public string Error = "";
        public int ErrorCode;
        public PreviewFrameData LatestPreview;
        public MotionPreviewData LatestPose;
        public int PreviewCount;
        public int PoseCount;
        public int Reattaches;
        public TransitionResultData Result;
        public readonly List<string> Log = new List<string>();
        /// <summary>Stages the server said the method goes through (MethodInfo.stages), for
        /// "stage 2/4" in the status line.</summary>
        public List<string> KnownStages = new List<string>();

        public void Start(string what)
        {
            Running = true;
            Finished = Succeeded = false;
            JobId = Stage = Error = "";
            ErrorCode = 0;
            Fraction = 0f;
            LatestPreview = null;
            LatestPose = null;
            PreviewCount = PoseCount = Reattaches = 0;
            Result = null;
            Log.Clear();
            Status = what;
        }

        public void Submitted(string jobId)
        {
            JobId = jobId;
            Status = "Queued (job " + jobId + ")";
        }

        /// <summary>Applies one update; returns true when the preview image or pose changed.</summary>
        public bool Apply(FollowerUpdate u)
        {
            switch (u.Kind)
            {
                case "state":
                    State = u.State;
                    Status = u.State == "JOB_STATE_QUEUED" ? "Queued" : u.State == "JOB_STATE_RUNNING" ? "Running" : u.State;
                    return false;
                case "stage":
                    Stage = u.Stage;
                    Status = "Stage " + StageLabel(u.Stage);
                    return false;
                case "progress":
                    Fraction = u.Fraction;
                    Status = (Stage.Length > 0 ? StageLabel(Stage) + ": " : "") + (u.Message.Length > 0 ? u.Message : (u.Fraction * 100f).ToString("0", CultureInfo.InvariantCulture) + "%");
                    return false;
                case "preview":
                    LatestPreview = u.Preview;
                    PreviewCount++;
                    return true;
                case "pose":
                    LatestPose = u.Pose;
                    PoseCount++;
                    return true;
                case "log":
                    AddLog("[" + u.Level + "] " + u.Message);
                    return false;
                case "reattach":
                    Reattaches++;
                    Status = "Connection dropped; reattaching after event " + u.AfterEvent.ToString(CultureInfo.InvariantCulture) + "…";
                    return false;
                case "result":
                    Running = false;
                    Finished = Succeeded = true;
                    Fraction = 1f;
                    Result = u.Result;
                    Status = "Done: " + (u.Result != null ? u.Result.Method : "") + " result received";
                    return false;
                case "error":
                    Running = false;
                    Finished = true;
                    Succeeded = false;
                    ErrorCode = u.Code;
                    Error = u.Code == StatusCodes.Cancelled ? "Cancelled; the clip is unchanged." : StatusCodes.Name(u.Code) + ": " + u.Message;
                    Status = u.Code == StatusCodes.Cancelled ? "Cancelled" : "Failed";
                    return false;
            }
            return false;
        }

        /// <summary>The call failed before or outside the job (server down, wrong token…).</summary>
        public void Fail(string message, int code)
        {
            Running = false;
            Finished = true;
            Succeeded = false;
            ErrorCode = code;
            Error = message;
            Status = code == StatusCodes.Cancelled ? "Cancelled" : "Failed";
        }

        string StageLabel(string stage)
        {
            int i = KnownStages.IndexOf(stage);
            if (i < 0) return stage;
            return stage + " (" + (i + 1) + "/" + KnownStages.Count + ")";
        }

        void AddLog(string line)
        {
            Log.Add(line);
            if (Log.Count > LogLines) Log.RemoveAt(0);
        }
    }
}
