"""The real training history of the shipped MNIST network, drawn as it grows: loss and accuracy per epoch,
train and test, ending on the test accuracy and the device and seconds per epoch of that run.

Render alone with ``manim -ql scenes/mnist_training.py MnistTrainingHistory``. The words are in
``scenes/scripts/mnist_training.yaml``.
"""

from __future__ import annotations

from manim import DOWN, LEFT, RIGHT, UP, Axes, Circle, Create, Dot, FadeIn, FadeOut, Line, VGroup

from scenes.common import MONO, LectureScene, cached_text, label, step_times

__all__ = ["MnistTrainingHistory"]

AXES_Y = 0.5  # centre of both plots
PLOT_W, PLOT_H = 4.7, 2.8
LOSS_X, ACC_X = -3.2, 4.0  # centres of the two plots: tick labels and all stay 5 % inside the frame
READOUT_Y = -2.45
FONT_SIZE = 26  # every label and number: a digit 16 px tall at 480p


class MnistTrainingHistory(LectureScene):
    """Loss (left) and accuracy (right); train and test each in its own colour (the theme's ``train``/``test``)."""

    scene_id = "mnist_training"

    def plot(self, x_center: float, y_range: list[float], ticks: list[float], tick_text: list[str],
             title: str) -> tuple[Axes, VGroup]:
        t, a = self.theme, self.values.arrays
        ax = Axes(x_range=a["epoch_range"], y_range=y_range, x_length=PLOT_W, y_length=PLOT_H, tips=False,
                  axis_config={"color": t.muted, "stroke_width": 2, "include_ticks": False})
        ax.move_to([x_center, AXES_Y, 0])
        deco = VGroup()
        for v, s in zip(ticks, tick_text):
            deco.add(cached_text(s, font=MONO, font_size=FONT_SIZE, color=t.muted).next_to(ax.c2p(0, v), LEFT,
                                                                                           buff=0.12))
            if v != y_range[0]:
                deco.add(Line(ax.c2p(0, v), ax.c2p(a["epoch_range"][1], v), color=t.padding, stroke_width=1,
                              stroke_opacity=0.5))
        epochs = VGroup(*(cached_text(str(e), font=MONO, font_size=FONT_SIZE, color=t.muted)
                          .next_to(ax.c2p(e, y_range[0]), DOWN, buff=0.12) for e in a["epoch_ticks"]))
        deco.add(epochs)
        deco.add(label(self.tr("epoch", "轮次"), t, color=t.muted, font_size=FONT_SIZE)
                 .next_to(epochs, DOWN, buff=0.1).set_x(ax.x_axis.get_center()[0]))
        deco.add(label(title, t, font_size=FONT_SIZE).next_to(ax, UP, buff=0.15))
        return ax, deco

    def play_scene(self) -> None:
        t, a = self.theme, self.values.arrays
        loss_ax, loss_deco = self.plot(LOSS_X, a["loss_range"], a["loss_ticks"], a["loss_ticks_text"],
                                       self.tr("loss (cross-entropy)", "损失（交叉熵）"))
        acc_ax, acc_deco = self.plot(ACC_X, a["acc_range"], a["acc_ticks"], a["acc_ticks_text"],
                                     self.tr("accuracy", "准确率"))
        legend = VGroup(*(VGroup(Line(LEFT * 0.25, RIGHT * 0.25, color=c, stroke_width=4), Dot(color=c, radius=0.06),
                                 label(s, t, color=c, font_size=28)) for c, s in
                          ((t.train, self.tr("train", "训练")), (t.test, self.tr("test", "测试")))))
        for item in legend:
            item[1].move_to(item[0])
            item[2].next_to(item[0], RIGHT, buff=0.12)
        legend.arrange(RIGHT, buff=0.6).next_to(self.heading, DOWN, buff=0.15)
        self.next_section("axes")
        self.say("history", wait=False, epochs=len(a["epochs"]))
        self.play(FadeIn(loss_ax), FadeIn(loss_deco), FadeIn(acc_ax), FadeIn(acc_deco), FadeIn(legend),
                  run_time=1.0)
        self.say("plots")

        series = [(loss_ax, "train_loss", t.train), (loss_ax, "test_loss", t.test),
                  (acc_ax, "train_acc_pct", t.train), (acc_ax, "test_acc_pct", t.test)]
        prev: list = [None] * 4
        readout = None
        for n, (e, run) in enumerate(zip(a["epochs"], step_times(len(a["epochs"]), slow=1.0, fast=0.6,
                                                                   slow_steps=2))):
            self.next_section(f"epoch {e}")
            anims, dots = [], []
            for s, (ax, key, color) in enumerate(series):
                point = ax.c2p(e, a[key][n])
                dot = Dot(point, color=color, radius=0.07)
                dots.append(dot)
                if prev[s] is not None:
                    anims.append(Create(Line(prev[s], point, color=color, stroke_width=4)))
                anims.append(FadeIn(dot, scale=0.5))
                prev[s] = point
            if n == 1:
                self.say("each_epoch", wait=False)
            if readout is not None:  # the old numbers go before the new come: no two texts on one spot
                self.play(FadeOut(readout), run_time=0.3)
            readout = self.readout(n)
            self.play(*anims, FadeIn(readout), run_time=run)
            if n == 0:
                self.say("first_epoch", acc=a["test_acc_text"][0])
                if a["first_train_below_test"]:
                    self.say("running_average", train=a["train_acc_text"][0], test=a["test_acc_text"][0])
                    self.say("while_learning")
            else:
                self.wait(1.5)
        self.say("trend")
        self.last_dot = dots[3]

        self.next_section("result")
        ring = Circle(radius=0.2, color=t.highlight, stroke_width=4).move_to(self.last_dot)
        final = cached_text(self.tr(f"test accuracy {a['final_test_acc_text']}",
                                    f"测试准确率 {a['final_test_acc_text']}"),
                            font=MONO, font_size=32, color=t.test, weight="BOLD").move_to([0, READOUT_Y + 0.3, 0])
        run_line = cached_text(self.tr(f"device: {a['device']}   mean {a['mean_seconds_text']} s per epoch",
                                       f"设备：{a['device']}   平均每轮 {a['mean_seconds_text']} 秒"),
                               font=MONO, font_size=FONT_SIZE, color=t.muted).next_to(final, DOWN, buff=0.15)
        self.say("result", wait=False, epochs=len(a["epochs"]), acc=a["final_test_acc_text"])
        self.play(FadeOut(readout), run_time=0.4)
        self.play(Create(ring), FadeIn(final), run_time=1.0)
        self.say("run", wait=False, device=a["device"], seconds=a["mean_seconds_text"])
        self.play(FadeIn(run_line), run_time=0.6)

    def readout(self, n: int) -> VGroup:
        """This epoch's numbers under the plots: train row, test row."""
        t, a = self.theme, self.values.arrays
        e = a["epochs"][n]
        head = label(self.tr(f"epoch {e}", f"第 {e} 轮"), t, font_size=FONT_SIZE)
        rows = VGroup(*(cached_text(self.tr(f"{name:<5}  loss {a[k + '_loss_text'][n]:<5}  accuracy {a[k + '_acc_text'][n]}",
                                            f"{name}  损失 {a[k + '_loss_text'][n]:<5}  准确率 {a[k + '_acc_text'][n]}"),
                                    font=MONO, font_size=FONT_SIZE, color=c)
                        for k, name, c in (("train", self.tr("train", "训练"), t.train),
                                           ("test", self.tr("test", "测试"), t.test))))
        rows.arrange(DOWN, aligned_edge=LEFT, buff=0.1)
        secs = label(self.tr(f"{a['seconds_text'][n]} s", f"{a['seconds_text'][n]} 秒"), t, color=t.muted,
                     font_size=FONT_SIZE)
        return VGroup(head, rows, secs).arrange(RIGHT, buff=0.5).move_to([0, READOUT_Y, 0])
