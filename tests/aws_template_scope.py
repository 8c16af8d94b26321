"""The proxy's IAM policy in pkg-scripts/aws/benefind.yaml grants nothing more than the
issue allows: S3 Vectors' Query/Put/Delete/GetVectors on the template's own index,
bedrock:InvokeModel and InvokeModelWithResponseStream on Titan Text Embeddings V2 and
Nova Micro only, and bedrock:ApplyGuardrail on the template's guardrail only; no other
IAM grant anywhere in the template. Run by pkg-scripts/test.sh with the cfn-lint venv's
Python (the template is read by cfn-lint's own decoder, which knows !Ref, !Sub, !If...).

Each rule is also shown to fail on a widened copy of the template, so the check can fail.
"""

import copy
import pathlib
import sys
import unittest

from cfnlint.decode import decode

TEMPLATE = pathlib.Path(__file__).resolve().parent.parent / "pkg-scripts" / "aws" / "benefind.yaml"

ALLOWED = {
    "s3vectors:QueryVectors": "index",
    "s3vectors:PutVectors": "index",
    "s3vectors:DeleteVectors": "index",
    "s3vectors:GetVectors": "index",
    "bedrock:InvokeModel": "models",
    "bedrock:InvokeModelWithResponseStream": "models",
    "bedrock:ApplyGuardrail": "guardrail",
}
MODELS = ("amazon.titan-embed-text-v2:0", "${GenerationModelId}")
IAM_GRANTS = {"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::User", "AWS::IAM::Group"}


def as_list(x):
    return x if isinstance(x, list) else [x]


def resource_strings(resource):
    """Every ARN a Resource can take: both branches of an !If, the text of a !Sub."""
    out = []
    for r in as_list(resource):
        if isinstance(r, dict) and "Fn::If" in r:
            for branch in r["Fn::If"][1:]:
                out.extend(resource_strings(branch))
        elif isinstance(r, dict) and "Fn::Sub" in r:
            out.append(("sub", r["Fn::Sub"] if isinstance(r["Fn::Sub"], str) else r["Fn::Sub"][0]))
        elif isinstance(r, dict) and "Fn::GetAtt" in r:
            att = r["Fn::GetAtt"]
            out.append(("getatt", ".".join(att) if isinstance(att, list) else att))
        else:
            out.append(("literal", r))
    return out


def problems(template):
    """What in the template grants more than allowed (empty: nothing)."""
    found = []
    resources = template["Resources"]
    for name, res in resources.items():
        if res["Type"] in IAM_GRANTS:
            found.append(f"{name}: {res['Type']} grants outside the proxy role")
    roles = [n for n, r in resources.items() if r["Type"] == "AWS::IAM::Role"]
    if roles != ["ProxyRole"]:
        found.append(f"roles {roles}: only ProxyRole may exist")
        return found
    role = resources["ProxyRole"]["Properties"]
    if role.get("ManagedPolicyArns"):
        found.append("ProxyRole has managed policies")
    principals = [s["Principal"] for s in role["AssumeRolePolicyDocument"]["Statement"]]
    if any(set(p) != {"Service"} for p in principals):
        found.append(f"trust {principals}: only a service may assume the role")
    for policy in role.get("Policies", []):
        for st in policy["PolicyDocument"]["Statement"]:
            if st.get("Effect") != "Allow":
                continue
            if "NotAction" in st or "NotResource" in st:
                found.append(f"{st.get('Sid')}: NotAction/NotResource")
            actions = as_list(st.get("Action", []))
            kinds = {ALLOWED.get(a) for a in actions}
            if None in kinds:
                found.append(f"{st.get('Sid')}: actions {actions} beyond {sorted(ALLOWED)}")
                continue
            if len(kinds) != 1:
                found.append(f"{st.get('Sid')}: mixes resources of {sorted(kinds)}")
                continue
            kind = kinds.pop()
            for how, arn in resource_strings(st.get("Resource")):
                ok = {
                    "index": how == "getatt" and arn == "Index.IndexArn",
                    "guardrail": how == "getatt" and arn == "Guardrail.GuardrailArn",
                    "models": how == "sub"
                    and "*" not in arn
                    and arn.startswith("arn:${AWS::Partition}:bedrock:")
                    and any(
                        arn.endswith(f"::foundation-model/{m}")
                        or arn.endswith(f":inference-profile/us.{m}")
                        for m in MODELS
                    ),
                }[kind]
                if not ok:
                    found.append(f"{st.get('Sid')}: resource {arn!r} for {kind}")
    return found


class PolicyScope(unittest.TestCase):
    def setUp(self):
        template, matches = decode(str(TEMPLATE))
        self.assertFalse(matches, matches)
        self.template = template

    def test_the_template_grants_only_what_the_proxy_needs(self):
        self.assertEqual(problems(self.template), [])
        # And it does grant each of them.
        granted = set()
        for policy in self.template["Resources"]["ProxyRole"]["Properties"]["Policies"]:
            for st in policy["PolicyDocument"]["Statement"]:
                granted.update(as_list(st["Action"]))
        self.assertEqual(granted, set(ALLOWED))

    def test_the_check_fails_on_a_widened_policy(self):
        def statements(t):
            return t["Resources"]["ProxyRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]

        widenings = [
            lambda t: statements(t)[0]["Action"].append("s3vectors:*"),
            lambda t: statements(t)[0].__setitem__("Resource", "*"),
            lambda t: statements(t)[1]["Resource"]["Fn::If"][2].append(
                {"Fn::Sub": "arn:${AWS::Partition}:bedrock:${AWS::Region}::foundation-model/*"}),
            lambda t: statements(t)[1]["Resource"]["Fn::If"][1].append(
                {"Fn::Sub": "arn:${AWS::Partition}:bedrock:${AWS::Region}::foundation-model/anthropic.claude-v2"}),
            lambda t: statements(t)[2].__setitem__("Resource", {"Fn::Sub": "arn:${AWS::Partition}:bedrock:*:*:guardrail/*"}),
            lambda t: statements(t).append({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}),
            lambda t: t["Resources"]["ProxyRole"]["Properties"].__setitem__(
                "ManagedPolicyArns", ["arn:aws:iam::aws:policy/AdministratorAccess"]),
            lambda t: t["Resources"].__setitem__("Extra", {"Type": "AWS::IAM::Policy", "Properties": {}}),
        ]
        for i, widen in enumerate(widenings):
            t = copy.deepcopy(self.template)
            widen(t)
            self.assertNotEqual(problems(t), [], f"widening {i} went unnoticed")


if __name__ == "__main__":
    sys.exit(unittest.main())
