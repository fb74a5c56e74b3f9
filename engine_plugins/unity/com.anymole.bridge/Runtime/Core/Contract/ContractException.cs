using System;

namespace AnyMoLe.Bridge.Core
{
    /// <summary>
    /// A problem with a message, a clip or a selection that names its field, in the style of the
    /// server's INVALID_ARGUMENT messages ("selection.keyframes[0]: ..."). Editors show
    /// <see cref="Exception.Message"/> as is; nothing has been written when it is raised.
    /// </summary>
    public class ContractException : Exception
    {
        public ContractException(string field, string problem)
            : base(string.IsNullOrEmpty(field) ? problem : field + ": " + problem)
        {
            Field = field ?? "";
            Problem = problem;
        }

        /// <summary>The field path, e.g. "result.motion.rotations" or "selection.keyframes".</summary>
        public string Field { get; private set; }

        /// <summary>The problem without the field.</summary>
        public string Problem { get; private set; }
    }
}
