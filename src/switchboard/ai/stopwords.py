"""English and Russian words that say nothing about what a note is about (normalised: `ё` → `е`).

Kept short on purpose: a word dropped here can never help ranking or become a tag. Words of
intent ("надо", "maybe", "next") stay out of it: they tell a task from an idea.
"""

from __future__ import annotations

_ENGLISH = """
a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing don dont down during each few for from
further had has have having he her here hers herself him himself his how i if in into is it its
itself just let me more most my myself no nor not now of off on once only or other our ours out
over own same she should so some such than that the their theirs them then there these they this
those through to too under until up very was we were what when where which while who whom why
will with would you your yours yourself s t ll re ve d m o y isn wasn didn doesn won also get got
one two really still again already yet even much many
"""

_RUSSIAN = """
а без более бы был была были было быть в вам вас весь во вот все всего всех вы где да даже для
до его ее если есть еще же за здесь и из или им их к как какой когда кто ли либо мне может мы на
над наш не него нее нет ни них но ну о об однако он она они оно от очень по под после при
про раз с сам со так также такой там те тем то того тоже той только том ты у уже хотя чего чей
чем что чтобы чье эта эти это этот я мой моя мое мои свой своя свое свои его ее их себя себе
сейчас тут вообще просто ещё будет будут буду был была быть нибудь какие которые который
которая которое уж вон ведь разве пусть
"""

STOP_WORDS: frozenset[str] = frozenset((_ENGLISH + _RUSSIAN).split())
