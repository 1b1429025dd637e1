from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from arrears.core.commands import ArrearsCommand, user_named
from arrears.core.errors import DomainError, NotFound
from arrears.risk import modeling, selectors, services
from arrears.risk.models import Approval, RiskModel, Scorecard


class Command(ArrearsCommand):
    help = (
        "Risk models. `arrears risk train --csv FILE --target COLUMN --positive VALUE --out MODEL` trains on any "
        "table and prints 5-fold cross-validated AUC, KS and Gini; `arrears risk score --model MODEL --csv FILE "
        "--out SCORES.csv` scores a table (same row order: probability, score, reasons); `dataset`, `register`, "
        "`approve`, `models` and `scorecard` manage what scores production loans."
    )
    json_option = False

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        train = sub.add_parser("train", help="train a model on a CSV table")
        train.add_argument("--csv", required=True, type=Path, help="the training table")
        train.add_argument("--target", required=True, help="the outcome column")
        train.add_argument(
            "--positive",
            required=True,
            action="append",
            help="the outcome value that counts as positive (repeat for several)",
        )
        train.add_argument("--out", required=True, type=Path, help="where to write the model (JSON)")
        train.add_argument("--drop", action="append", default=[], help="a column to leave out (repeatable)")
        train.add_argument("--folds", type=int, default=modeling.FOLDS)
        train.add_argument("--seed", type=int, default=0)
        train.add_argument("--no-challenger", action="store_true", help="keep the logistic scorecard")
        train.add_argument("--json", action="store_true")
        score = sub.add_parser("score", help="score a CSV table with a model")
        score.add_argument("--model", required=True, type=Path)
        score.add_argument("--csv", required=True, type=Path)
        score.add_argument("--out", required=True, type=Path)
        score.add_argument("--json", action="store_true")
        dataset = sub.add_parser(
            "dataset", help="the portfolio's risk features on a date and each loan's outcome some days later"
        )
        dataset.add_argument("--as-of", required=True, type=dt.date.fromisoformat)
        dataset.add_argument("--horizon", type=int, default=30, help="days after --as-of (default 30)")
        dataset.add_argument("--out", required=True, type=Path)
        dataset.add_argument("--json", action="store_true")
        history = sub.add_parser(
            "train-on-history",
            help="train on the portfolio's own outcomes (past due on --as-of, rolled forward --horizon days later)",
        )
        history.add_argument("--as-of", required=True, type=dt.date.fromisoformat)
        history.add_argument("--horizon", type=int, default=30)
        history.add_argument("--name", default="roll-forward")
        history.add_argument("--by", help="the user registering it")
        history.add_argument("--json", action="store_true")
        register = sub.add_parser(
            "register", help="store a trained model as the next version of NAME (a draft)"
        )
        register.add_argument("model", type=Path)
        register.add_argument("--name", required=True)
        register.add_argument("--description", default="")
        register.add_argument("--by", help="the user registering it (for the audit and the four-eyes check)")
        register.add_argument("--json", action="store_true")
        approve = sub.add_parser("approve", help="approve a model version for production (not by its author)")
        approve.add_argument("name")
        approve.add_argument("version", type=int)
        approve.add_argument("--by", required=True, help="the approving user")
        approve.add_argument("--json", action="store_true")
        listing = sub.add_parser("models", help="list model versions")
        listing.add_argument("--json", action="store_true")
        card = sub.add_parser(
            "scorecard", help="scorecard versions: import a JSON definition, export, approve"
        )
        card.add_argument("card_action", choices=["import", "export", "approve", "list"])
        card.add_argument("file", nargs="?", type=Path, help="the definition (JSON) to import or export to")
        card.add_argument("--name", default="default")
        card.add_argument("--effective-from", type=dt.date.fromisoformat)
        card.add_argument("--by", help="the user (for the audit and the four-eyes check)")
        card.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, options["action"].replace("-", "_"))(options)

    def train(self, options: dict[str, Any]) -> None:
        if options["folds"] < 2:
            raise modeling.ModelError("--folds must be at least 2")
        path: Path = options["csv"]
        _writable(options["out"])
        frame = modeling.read_table(path)
        model, cv = modeling.train(
            frame,
            options["target"],
            options["positive"],
            drop=options["drop"],
            folds=options["folds"],
            seed=options["seed"],
            source=f"{path.name} sha256:{modeling.file_digest(path)}",
            challenger=not options["no_challenger"],
        )
        options["out"].write_text(json.dumps(model, ensure_ascii=False, indent=1))
        chosen = cv[model["kind"]]
        payload = {
            "model": str(options["out"]),
            "kind": model["kind"],
            "rows": model["training"]["rows"],
            "positives": model["training"]["positives"],
            "features": [f["name"] for f in model["features"]],
            "ignored": model["ignored"],
            "folds": cv["folds"],
            "auc": chosen["auc"],
            "ks": chosen["ks"],
            "gini": chosen["gini"],
            "cv": model["cv"],
        }
        lines = [
            f"{model['kind']} model on {payload['rows']} rows ({payload['positives']} positive), "
            f"{len(payload['features'])} features → {options['out']}",
            f"{cv['folds']}-fold cross-validated (out-of-fold):",
        ]
        for name in ("logistic", "lightgbm"):
            if name not in cv:
                continue
            m = cv[name]
            mark = " ← chosen" if name == model["kind"] else ""
            lines.append(f"  {name:9} AUC {m['auc']:.4f}  KS {m['ks']:.4f}  Gini {m['gini']:.4f}{mark}")
        if model["ignored"]:
            lines.append("ignored: " + ", ".join(f"{i['column']} ({i['reason']})" for i in model["ignored"]))
        self.emit(options, payload, "\n".join(lines))

    def dataset(self, options: dict[str, Any]) -> None:
        _writable(options["out"])
        frame = selectors.training_set(options["as_of"], options["horizon"])
        frame.write_csv(options["out"])
        outcomes = dict(frame.group_by("outcome").len().sort("outcome").rows())
        payload = {"rows": frame.height, "out": str(options["out"]), "outcomes": outcomes}
        self.emit(
            options,
            payload,
            f"{frame.height} loans past due on {options['as_of']} → {options['out']} {outcomes}",
        )

    def train_on_history(self, options: dict[str, Any]) -> None:
        row, cv = services.train_on_history(
            options["as_of"], options["horizon"], name=options["name"], actor=user_named(options["by"])
        )
        chosen = cv[row.kind]
        text = (
            f"registered {row} ({row.kind}, {len(row.features)} features): cross-validated AUC {chosen['auc']:.4f} "
            f"KS {chosen['ks']:.4f} Gini {chosen['gini']:.4f}; approve it with `arrears risk approve {row.name} "
            f"{row.version} --by USER`"
        )
        self.emit(options, selectors.model_summary(row), text)

    def register(self, options: dict[str, Any]) -> None:
        artifact = _read_model(options["model"])
        row = services.register_model(
            artifact, options["name"], actor=user_named(options["by"]), description=options["description"]
        )
        self.emit(options, selectors.model_summary(row), f"registered {row}")

    def approve(self, options: dict[str, Any]) -> None:
        row = RiskModel.objects.filter(name=options["name"], version=options["version"]).first()
        if row is None:
            raise NotFound(f"no model {options['name']} version {options['version']}")
        row = services.approve_model(row, actor=user_named(options["by"]))
        self.emit(
            options,
            selectors.model_summary(row),
            f"approved {row}; it scores production loans from the next close",
        )

    def models(self, options: dict[str, Any]) -> None:
        rows = [selectors.model_summary(m) for m in selectors.models()]
        text = "\n".join(
            f"{m['name']} v{m['version']} {m['kind']} {m['status']} AUC {m['auc']}" for m in rows
        )
        self.emit(options, {"models": rows}, text or "no models")

    def scorecard(self, options: dict[str, Any]) -> None:
        action, path = options["card_action"], options["file"]
        actor = user_named(options["by"])
        if action in ("import", "export") and path is None:
            raise DomainError(f"scorecard {action} needs a FILE")
        if action == "import":
            if options["effective_from"] is None:
                raise DomainError("scorecard import needs --effective-from DATE")
            try:
                definition = json.loads(path.read_text())
            except (OSError, ValueError) as exc:
                raise DomainError(f"{path}: cannot read the definition ({exc})") from exc
            services.save_scorecard(options["name"], options["effective_from"], definition, actor=actor)
        elif action == "approve":
            row = Scorecard.objects.filter(name=options["name"], status=Approval.DRAFT).first()
            if row is None:
                raise NotFound(f"no draft scorecard named {options['name']}")
            services.approve_scorecard(row, actor=actor)
        elif action == "export":
            row = Scorecard.objects.filter(name=options["name"]).first()
            if row is None:
                raise NotFound(f"no scorecard named {options['name']}")
            path.write_text(json.dumps(row.definition, ensure_ascii=False, indent=1))
        rows = [
            {
                "name": c.name,
                "effective_from": c.effective_from,
                "status": c.status,
                "factors": len(c.definition["factors"]),
            }
            for c in Scorecard.objects.all()
        ]
        text = "\n".join(
            f"{c['name']} from {c['effective_from']} {c['status']} ({c['factors']} factors)" for c in rows
        )
        self.emit(options, {"scorecards": rows}, text)

    def score(self, options: dict[str, Any]) -> None:
        model = _read_model(options["model"])
        _writable(options["out"])
        scores = modeling.score_frame(model, modeling.read_table(options["csv"]))
        scores.write_csv(options["out"])
        payload = {
            "rows": scores.height,
            "out": str(options["out"]),
            "mean_probability": scores["probability"].mean(),
        }
        self.emit(options, payload, f"{scores.height} rows scored → {options['out']}")


def _read_model(path: Path) -> dict[str, Any]:
    try:
        model = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise modeling.ModelError(f"{path}: cannot read the model ({exc})") from exc
    modeling.check_model(model)
    return model  # type: ignore[no-any-return]


def _writable(path: Path) -> None:
    """Refuse an output path in a folder that does not exist before the work, not after it."""
    if not path.parent.is_dir():
        raise DomainError(f"{path}: the folder {path.parent} does not exist")
