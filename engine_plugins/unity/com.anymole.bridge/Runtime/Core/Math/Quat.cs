using System;
using System.Globalization;

namespace AnyMoLe.Bridge.Core
{
    /// <summary>
    /// A rotation quaternion (x, y, z, w) of float32 — the order of the wire contract, glTF and
    /// UnityEngine.Quaternion. Only what the Core needs: hemisphere tests, products for error
    /// reports, and Unity's Euler convention for Euler-spelled curves.
    /// </summary>
    [Serializable]
    public readonly struct Quat : IEquatable<Quat>
    {
        public readonly float X;
        public readonly float Y;
        public readonly float Z;
        public readonly float W;

        public Quat(float x, float y, float z, float w)
        {
            X = x;
            Y = y;
            Z = z;
            W = w;
        }

        public static readonly Quat Identity = new Quat(0f, 0f, 0f, 1f);

        public float this[int i]
        {
            get
            {
                switch (i)
                {
                    case 0: return X;
                    case 1: return Y;
                    case 2: return Z;
                    case 3: return W;
                    default: throw new ArgumentOutOfRangeException("i");
                }
            }
        }

        public static float Dot(Quat a, Quat b)
        {
            return a.X * b.X + a.Y * b.Y + a.Z * b.Z + a.W * b.W;
        }

        /// <summary>All four components negated: the same rotation, the other hemisphere.</summary>
        public Quat Negated()
        {
            return new Quat(-X, -Y, -Z, -W);
        }

        public float Norm()
        {
            return (float)Math.Sqrt((double)X * X + (double)Y * Y + (double)Z * Z + (double)W * W);
        }

        public Quat Normalized()
        {
            float n = Norm();
            if (n < 1e-12f) throw new ArgumentException("zero quaternion");
            return new Quat(X / n, Y / n, Z / n, W / n);
        }

        public Quat Conjugate()
        {
            return new Quat(-X, -Y, -Z, W);
        }

        /// <summary>Hamilton product a·b (apply b, then a), as UnityEngine.Quaternion's operator *.</summary>
        public static Quat operator *(Quat a, Quat b)
        {
            return new Quat(
                a.W * b.X + a.X * b.W + a.Y * b.Z - a.Z * b.Y,
                a.W * b.Y - a.X * b.Z + a.Y * b.W + a.Z * b.X,
                a.W * b.Z + a.X * b.Y - a.Y * b.X + a.Z * b.W,
                a.W * b.W - a.X * b.X - a.Y * b.Y - a.Z * b.Z);
        }

        /// <summary>Angle between two rotations in degrees, in [0, 180] (sign-insensitive),
        /// computed in double precision from the relative rotation (exact 0 for equal inputs).</summary>
        public static float AngleDeg(Quat a, Quat b)
        {
            if (a.Equals(b) || a.Equals(b.Negated())) return 0f;
            double na = a.Norm(), nb = b.Norm();
            if (na < 1e-12 || nb < 1e-12) return 180f;
            double ax = a.X / na, ay = a.Y / na, az = a.Z / na, aw = a.W / na;
            double bx = b.X / nb, by = b.Y / nb, bz = b.Z / nb, bw = b.W / nb;
            // r = conj(a) * b
            double rw = aw * bw + ax * bx + ay * by + az * bz;
            double rx = aw * bx - ax * bw - ay * bz + az * by;
            double ry = aw * by + ax * bz - ay * bw - az * bx;
            double rz = aw * bz - ax * by + ay * bx - az * bw;
            double s = Math.Sqrt(rx * rx + ry * ry + rz * rz);
            return (float)(2.0 * Math.Atan2(s, Math.Abs(rw)) * 180.0 / Math.PI);
        }

        /// <summary>
        /// A rotation from Euler angles in degrees with Unity's convention: rotate about Z, then
        /// X, then Y (q = qY · qX · qZ), as UnityEngine.Quaternion.Euler and Transform's default
        /// rotation order.
        /// </summary>
        public static Quat FromEulerZxyDeg(Vec3 euler)
        {
            double hx = euler.X * Math.PI / 360.0, hy = euler.Y * Math.PI / 360.0, hz = euler.Z * Math.PI / 360.0;
            var qx = new Quat((float)Math.Sin(hx), 0f, 0f, (float)Math.Cos(hx));
            var qy = new Quat(0f, (float)Math.Sin(hy), 0f, (float)Math.Cos(hy));
            var qz = new Quat(0f, 0f, (float)Math.Sin(hz), (float)Math.Cos(hz));
            return qy * qx * qz;
        }

        /// <summary>
        /// Euler angles in degrees (Unity's Z, X, Y order) of a unit quaternion, each in
        /// (-180, 180]; the inverse of <see cref="FromEulerZxyDeg"/> up to equivalent triples.
        /// In Unity the editor uses Quaternion.eulerAngles instead; this exists so the Core's
        /// Euler helpers can be tested without Unity.
        /// </summary>
        public Vec3 ToEulerZxyDeg()
        {
            var q = Normalized();
            double x = q.X, y = q.Y, z = q.Z, w = q.W;
            // R = Ry · Rx · Rz; element m12 = -sin(ex)... derived for this order:
            double sinX = 2.0 * (w * x - y * z);
            if (sinX > 1.0) sinX = 1.0;
            if (sinX < -1.0) sinX = -1.0;
            double ex = Math.Asin(sinX);
            double ey, ez;
            if (Math.Abs(sinX) < 0.9999999)
            {
                ey = Math.Atan2(2.0 * (x * z + w * y), 1.0 - 2.0 * (x * x + y * y));
                ez = Math.Atan2(2.0 * (x * y + w * z), 1.0 - 2.0 * (x * x + z * z));
            }
            else
            {
                // Gimbal lock: put everything into Y.
                ez = 0.0;
                ey = Math.Atan2(-2.0 * (x * z - w * y), 1.0 - 2.0 * (y * y + z * z));
            }
            const double r2d = 180.0 / Math.PI;
            return new Vec3((float)(ex * r2d), (float)(ey * r2d), (float)(ez * r2d));
        }

        public bool Equals(Quat o) { return X.Equals(o.X) && Y.Equals(o.Y) && Z.Equals(o.Z) && W.Equals(o.W); }
        public override bool Equals(object obj) { return obj is Quat && Equals((Quat)obj); }
        public override int GetHashCode() { return X.GetHashCode() ^ (Y.GetHashCode() << 2) ^ (Z.GetHashCode() >> 2) ^ (W.GetHashCode() >> 1); }

        public override string ToString()
        {
            return string.Format(CultureInfo.InvariantCulture, "({0}, {1}, {2}, {3})", X, Y, Z, W);
        }
    }
}
