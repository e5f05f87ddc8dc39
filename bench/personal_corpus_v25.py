"""Write guard/corpus_personal/personal_v25.jsonl: four matter classes of an identifiable
neighbour (titled, nicknamed, located by a door, a floor or 对门/楼上) that corpus v24 and the
lexicon had no words for, and the hard negatives beside them. Told of a neighbour: money come
in (compensation, a pension, a lump sum) and valuables (gold, a costly buy, a collection, the
day's takings taken home, where they are kept); a home empty on given days or until a date
(away for the weekend, back to the hometown every Friday, nobody home until the 15th, the
one left alone at home); a hospitalisation or operation told by a title, a role or kinship,
with who is at home now. Beside them, "ok": the writer's own, generic advice, notices, news,
questions, shops' hours, the same matter of no one, and the same people in everyday talk
near the same words. Styles: plain, dialect (咋, 娃, 婆姨, 撒), and voice input (no
punctuation, fillers). Seeded: the same file every run; lines already in the corpus are
left out.

    .venv/bin/python bench/personal_corpus_v25.py
"""

from __future__ import annotations

import random
from pathlib import Path

from personal_corpus_v24 import write_new  # bench/ is the script's own path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "guard" / "corpus_personal" / "personal_v25.jsonl"
SEED = 25

PEOPLE = [
    "楼上的马叔",
    "对门老汪",
    "对门的何姨",
    "隔壁的虎师傅",
    "隔壁单元的杜姐",
    "楼下的丁大爷",
    "住我楼下的祁奶奶",
    "2号楼三单元的郭总",
    "9号楼的闫老师",
    "6栋2单元的苏叔",
    "14号楼那个包工头老韩",
    "1号楼一单元的铁姐",
    "302的老蔡",
    "1101那家",
    "5-2-601的",
    "四楼的穆大妈",
    "三楼那个开出租的胡哥",
    "顶楼那家的老太太",
    "咱们单元的海师傅",
    "咱楼的金大姐",
    "开药店的黄老板",
    "卖牛肉的马老板",
    "开饭馆的沙姐",
    "门卫老于",
    "保洁罗阿姨",
    "物业的吴经理",
    "楼长周姨",
    "刘会计",
    "韩大夫",
    "米婶",
    "喇叭家老二",
    "老拓两口子",
    "老马家那口子",
    "田家的儿媳妇",
    "小白",
    "温师傅",
    "邵大爷",
    "姜阿姨",
    "老杨头",
    "张主任",
]

# What is told of the person: (kind, predicate)
TOLD = [
    # money come in, and where it is kept
    ("wealth", "刚领了拆迁补偿一百八十多万，全打在一张卡上了"),
    ("wealth", "退休一个月拿一万出头，钱都不存，放家里抽屉里"),
    ("wealth", "工伤的赔偿下来了，七十万，说过两天去取现金"),
    ("wealth", "老伴走了单位给了一笔钱，三十多万，搁在衣柜里的铁盒子里"),
    ("wealth", "儿子在国外挣了大钱，每个月往家里打好几万"),
    ("wealth", "攒了一辈子的钱，少说也有五六十万，不信银行全在家里放着"),
    ("wealth", "刚把老家的房子卖了，一百多万现金还没存呢"),
    ("wealth", "征地补偿款拿了两百万，这几天在看车看房"),
    ("wealth", "把现金缝在褥子里，一沓一沓的，她孙女说漏嘴了"),
    ("wealth", "每个月十五号去取养老金，一次全取出来揣兜里"),
    ("wealth", "车祸那个赔偿金到账了，八十多万，在家里数钱数了一晚上"),
    ("wealth", "一个月领的退休金七千多，还有一套房子在收租"),
    ("wealth", "家里光现金就有二三十万，放在冰箱上面那个纸箱里"),
    ("wealth", "去年发了笔横财，炒股挣了一百多万，天天请人吃饭"),
    ("wealth", "闺女给的养老钱十几万都锁在床头柜里"),
    # valuables
    ("valuables", "刚买了条金项链，好几万，天天戴着去早市"),
    ("valuables", "家里有个保险箱，里头都是金条和玉镯子"),
    ("valuables", "新提了辆六十多万的越野车，就停在单元门口"),
    ("valuables", "戴的那块劳力士是真的，十几万，自己说的"),
    ("valuables", "家里收藏了好多字画古董，说是值几百万"),
    ("valuables", "客厅里那套红木家具值几十万，还有一柜子茅台"),
    ("valuables", "每天晚上收摊把营业款拿回家，放在卧室床底下"),
    ("valuables", "女儿结婚陪嫁了一堆金首饰，都放在梳妆台里"),
    ("valuables", "手上那个翡翠镯子二十多万，出门也不摘"),
    ("valuables", "新买的名牌包一个好几万，放在门口鞋柜上"),
    ("valuables", "家里阳台上摆的那些玉石，听说值个上百万"),
    ("valuables", "金镯子金戒指买了一大堆，说是黄金保值"),
    # a home empty on given days or times
    ("away", "一家子这周末回西吉老家，礼拜一早上才回来"),
    ("away", "每个礼拜五下午就回乡下看老人，家里空到礼拜天"),
    ("away", "下周二出国旅游，要二十号以后才回来"),
    ("away", "去外地带孙子了，房子空了小半年"),
    ("away", "白天就老爷子一个人在家，儿子媳妇都上班去了"),
    ("away", "两口子月底去海口度假，家里没人，托我帮着收快递"),
    ("away", "每天早上八点去早市摆摊，中午一点才回，家里锁着门"),
    ("away", "国庆全家自驾游去新疆，这十来天屋里都没人"),
    ("away", "男人跑长途一走就是半个月，晚上就她跟两个娃在家"),
    ("away", "回娘家坐月子去了，这两个月家里没人"),
    ("away", "过年走亲戚去了，初八才回，门口快递堆了一堆"),
    ("away", "每周三周六去医院透析，一去就是一整天，家里没人"),
    ("away", "这礼拜都在外地开会，家里就剩个上小学的娃"),
    ("away", "15号之前都没人，一家人去西安看病了"),
    ("away", "平时就老太太一个人，闺女周末才过来看一眼"),
    ("away", "天天晚上去夜市摆摊，十二点以后才回，白天在家睡觉"),
    ("away", "老两口下个月去三亚住一个冬天，家里暖气都报停了"),
    ("away", "说她家下个月三号到十二号回老家，让我帮着浇花喂猫"),
    ("away", "一家国庆去青岛了，说是要八号以后才回来"),
    ("away", "跟我说他们全家元旦去成都，家里得空一个礼拜"),
    ("away", "每个月月初回一趟彭阳，一住就是十来天，家里就锁着"),
    ("away", "闺女接去北京住了，房子要空到开春"),
    ("away", "他家保姆每个礼拜天休息，那天就老太太一个人在家"),
    ("away", "家里人全去银川喝喜酒了，今天明天家里都没人"),
    ("away", "礼拜六礼拜天都在乡下种地，城里这房子周末都空着"),
    ("away", "春节回甘肃过年，年初五以前都不在"),
    ("away", "一家三口去云南玩了，二十号才回来，门口的快递都没人收"),
    ("away", "家的老爷子每天上午去公园下棋，十一点以前家里都锁着"),
    ("away", "两口子都上夜班，晚上八点到早上八点家里没大人"),
    ("away", "去内蒙给儿子看孩子了，这房子一年到头也就住个把月"),
    ("away", "下礼拜要带孩子去上海看病，最少去半个月，家里没人看着"),
    # hospitalised, operated on, with who is at home now
    ("hospital", "住院了，听说是心梗，放了两个支架，家里就剩老伴"),
    ("hospital", "的儿子得了抑郁症，辞了工作在家躺着不出门"),
    ("hospital", "老伴刚做完手术，子宫切了，在家养着下不了床"),
    ("hospital", "脑出血进了ICU，到现在还没醒，家里就一个上初中的孙子"),
    ("hospital", "查出来肝硬化，住院住了一个多月了"),
    ("hospital", "的闺女住进精神病院了，前阵子在家闹得厉害"),
    ("hospital", "摔了一跤骨折了，在医院躺着，家里没人管"),
    ("hospital", "男人胃出血住院了，她白天陪护晚上回来"),
    ("hospital", "确诊了乳腺癌，下礼拜去北京开刀"),
    ("hospital", "的老母亲肺炎住了院，家里就剩个傻儿子"),
    ("hospital", "媳妇刚流产，在家坐小月子，不让人去看"),
    ("hospital", "做了心脏搭桥，出院以后一个人在家养病"),
    ("hospital", "的孙子查出来白血病，在总医院住着，全家都去了"),
    ("hospital", "住院化疗呢，头发都掉光了，她家那口子天天陪床"),
    ("hospital", "病倒了，在医院里住着，听说是肾衰竭要透析"),
    ("hospital", "的老伴脑梗又犯了，送到医院抢救，家里就他一个人"),
    ("hospital", "前几天心肌梗塞差点没了，现在在家养着，她家那口子在外地"),
]

OPENERS = [
    "",
    "",
    "",
    "跟你们说，",
    "听说",
    "你们知道不，",
    "哎，",
    "悄悄说一句，",
    "我听门卫说",
    "早上买菜碰见才知道，",
    "咋说呢，",
    "你们不知道吧 ",
    "就是那个 ",
    "我跟你说撒 ",
    "唉 ",
]
TAILS = [
    "",
    "",
    "",
    "，别往外说",
    "，你们可别说是我说的",
    "，唉",
    "，这事整栋楼都知道",
    "，我也是听人说的",
    "。",
    "，啧啧",
    " 你说这",
    "，可怜的",
    "哈",
]


def _voice(text: str) -> str:
    """As a voice message typed out: no punctuation, a filler or two."""
    for p in "，。！？":
        text = text.replace(p, " ")
    return " ".join(text.split())


def told_lines(rng: random.Random) -> list[dict[str, str]]:
    out = []
    for kind, told in TOLD:
        for who in rng.sample(PEOPLE, 4 if kind == "away" else 3):
            joined = told[0] in "家的" or who.endswith(("的", "家"))
            sep = "" if joined else rng.choice(["", "", "，"])
            told_ = told[1:] if told[0] in "的" and who.endswith("的") else told
            text = f"{rng.choice(OPENERS)}{who}{sep}{told_}{rng.choice(TAILS)}"
            style = "neighbour"
            if rng.random() < 0.2:
                text, style = _voice(text), "voice"
            out.append({"text": text, "label": "pii", "kind": kind, "style": style})
    return out


# The writer's own, or the writer's unnamed family's: (kind, line)
OWN = [
    ("hospital", "我这两天住院了，群里的接龙帮我报一下"),
    ("hospital", "我爸做完手术出院了，谢谢各位邻居关心"),
    ("hospital", "本人下周住院做个小手术，快递先放驿站"),
    ("hospital", "我老婆住院了，陪护证在哪开，有知道的吗"),
    ("hospital", "我妈骨折住院，护工一天多少钱合适"),
    ("hospital", "我自己刚查出来甲状腺的毛病，住院押金要交多少"),
    ("away", "我们家这周末回老家，物业能帮忙看一眼不"),
    ("away", "我下周出差，家里就我媳妇和孩子，谁家有多的晾衣杆借一下"),
    ("away", "我春节回固原，暖气要报停吗"),
    ("away", "我们一家国庆出去旅游，猫谁能帮着喂两天，有偿"),
    ("away", "本人周末不在家，快递麻烦放门卫"),
    ("away", "我每周五回乡下看我妈，周日回来，有顺路的可以拼车"),
    ("wealth", "我拆迁补偿款还没到账，找谁问"),
    ("wealth", "我退休了一个月就三千多，够干啥的"),
    ("wealth", "我家老头的丧葬费要去哪领，要带啥材料"),
    ("wealth", "我工伤赔偿下来了，想存定期，哪个银行利息高"),
    ("valuables", "我想给闺女买个金镯子当嫁妆，哪家金店靠谱"),
    ("valuables", "我新买的车停哪里不会被剐，地下车位还有没有"),
    ("valuables", "我家有几幅老字画，想找人鉴定一下，谁认识"),
    ("valuables", "我开店每天收的现金，存银行方便还是放家里"),
]


def own_lines(rng: random.Random) -> list[dict[str, str]]:
    out = []
    for kind, line in OWN:
        out.append({"text": line, "label": "ok", "kind": kind, "style": "own"})
        again = rng.choice(["问一下，", "各位，", "群里说一声，"]) + line
        out.append({"text": again, "label": "ok", "kind": kind, "style": "own"})
    return out


# Generic advice, notices, news, questions, a shop's hours, a matter of no one
GENERAL = [
    ("hospital", "ask", "现在老人住院报销比例是多少，异地的咋报"),
    ("hospital", "ask", "住院押金一般交多少，能刷医保卡吗"),
    ("hospital", "ask", "做完心脏支架的人平时要注意啥"),
    ("hospital", "ask", "总医院住院部周末能探视不"),
    ("hospital", "ask", "骨折住院能报多少，城乡居民医保的"),
    ("hospital", "notice", "社区通知：住院报销材料每周二、周四在服务大厅收取"),
    ("hospital", "notice", "医保局提示：异地住院需提前备案，可在手机上办理"),
    ("hospital", "public", "新闻说有个老人在家摔倒了两天才被发现，太吓人了"),
    ("hospital", "nobody", "今天广场上有个大爷晕倒了，120拉走了，不知道是哪家的"),
    ("hospital", "nobody", "现在得抑郁症的年轻人真不少，当家长的要多留心"),
    ("hospital", "advice", "家里有老人的，晚上起夜一定开灯，骨折了可麻烦"),
    ("away", "advice", "家里没人的时候注意锁门，窗户也关好"),
    # things left at a building's door for collection: no one's hiding place
    ("kept", "nobody", "快递都放在4栋门口的快递柜里了，取件码看短信"),
    ("kept", "nobody", "外卖小哥把餐放在2单元门口的架子上了，谁点的赶紧拿"),
    ("kept", "notice", "物业通知：大件快递统一放在1号楼门卫室的柜子里，凭取件码领取"),
    ("kept", "nobody", "捡到一串钥匙，放在6号楼门口的信箱里了，谁丢的去拿"),
    ("kept", "nobody", "团购的菜放在12栋楼下的冷柜里了，各家自己取"),
    ("away", "advice", "出远门前把水电气总阀关了，阳台窗户插上"),
    ("away", "advice", "出门旅游别在朋友圈发定位，小偷专看这个"),
    ("away", "advice", "过年回老家的，门口的快递让门卫先收着，别堆在门口"),
    ("away", "notice", "物业提示：春节期间外出的业主请关闭燃气总阀，锁好门窗"),
    ("away", "notice", "派出所提醒：长期外出请告知物业或邻居，贵重物品不要放家里"),
    ("away", "notice", "社区通知：国庆期间社区服务大厅10月1日至7日休息，8号正常上班"),
    ("away", "advert", "小区门口超市营业时间：每天早上7点到晚上10点，周末不休息"),
    ("away", "advert", "东门菜鸟驿站周日下午不开门，周一早上九点恢复"),
    ("away", "advert", "家政保洁，周末上门，欢迎咨询"),
    ("away", "ask", "小区门口那家药店周末开门吗，几点关"),
    ("away", "ask", "出门半个月，冰箱要不要断电"),
    ("away", "ask", "回老家过年暖气要报停吗，报停费多少"),
    ("away", "nobody", "一到过年小区就空了一半，好多人家都回老家了"),
    ("away", "nobody", "好多年轻人周末都回父母家，小区停车位都空出来了"),
    ("wealth", "ask", "拆迁补偿款一般多久能到账，有懂的吗"),
    ("wealth", "ask", "工伤赔偿标准宁夏今年调了没"),
    ("wealth", "ask", "丧葬费和抚恤金是一起发的吗"),
    ("wealth", "advice", "最近小区有小偷，大家家里别放太多现金"),
    ("wealth", "advice", "领了补偿款的别声张，骗子专门盯着"),
    ("wealth", "public", "新闻说银川有个老人把二十万现金藏在家里被偷了"),
    ("wealth", "nobody", "现在还有老人把钱缝在被子里，也不怕丢"),
    ("valuables", "ask", "金价又涨了，现在买金条划算吗"),
    ("valuables", "ask", "红木家具怎么保养，有懂的吗"),
    ("valuables", "advice", "出门别戴太多金首饰，早市人多手杂"),
    ("valuables", "advice", "贵重东西别放车里，停车场最近老有人砸车窗"),
    ("valuables", "advert", "金店周年庆，黄金每克优惠二十，欢迎选购"),
    ("valuables", "public", "警方通报：某小区一男子盗窃金饰被抓获"),
    ("valuables", "nobody", "不知道谁的车停单元门口，挺贵的车，别被剐了"),
    # worry for a neighbour's safety, asked of the police or the group: a call for help
    ("away", "concern", "对门好几天没动静了，家里好像没人，敲门也不开，会不会出啥事了"),
    ("away", "concern", "楼上那家的狗叫了一天了，家里好像没人，谁有他家电话"),
    ("away", "concern", "隔壁老太太三天没见出门了，报纸堆在门口，民警能不能来看看"),
    ("hospital", "concern", "楼下的大爷在楼道里摔倒了，起不来，快打120"),
    ("away", "concern", "2单元的孩子一个人在阳台上哭，大人好像不在家，物业去看一下"),
    # a neighbour in a scam warning or a good deed: not their private life
    ("wealth", "warning", "楼下的杨阿姨领了养老金，有人冒充银行的打电话让她转账，幸亏没转"),
    ("wealth", "warning", "周姨说有人上门说帮办拆迁补偿要先交手续费，是骗子，大家注意"),
    ("valuables", "warning", "门卫老于说有人在小区门口卖假金条，说是捡的，大家别上当"),
    ("hospital", "warning", "马叔接到电话说他儿子住院要交钱，一问是骗子，大家小心"),
    ("away", "warning", "有人冒充快递打电话问家里什么时候没人，别告诉他，已经报警了"),
]


def general_lines(rng: random.Random) -> list[dict[str, str]]:
    out = []
    for kind, style, line in GENERAL:
        out.append({"text": line, "label": "ok", "kind": kind, "style": style})
        if style in ("advice", "ask", "nobody"):
            again = rng.choice(["大家注意哈，", "群里说一下，", "各位，", "问问哈，"]) + line
            out.append({"text": again, "label": "ok", "kind": kind, "style": style})
    return out


# The same people in everyday talk, near the same words
EVERYDAY = [
    ("hospital", "{who}在总医院住院部当护士，看病可以问她"),
    ("hospital", "{who}是心内科的大夫，做支架手术可有名了"),
    ("hospital", "{who}去医院看望孤寡老人了，给他点赞"),
    ("hospital", "{who}组织大家周六去社区医院免费量血压"),
    ("hospital", "{who}说住院报销现在手机上就能办"),
    ("away", "{who}回老家带了好多土特产，分给大家尝尝"),
    ("away", "{who}周末带大家去沙湖，报名找她"),
    ("away", "{who}旅游回来了，给楼里小孩都带了糖"),
    ("away", "{who}说周末物业不上班，有事打值班电话"),
    ("away", "{who}每天早上在小广场打太极，想学的去"),
    ("away", "{who}提醒大家出远门把燃气关了"),
    ("away", "{who}的店周日也开门，买菜方便"),
    ("away", "{who}说下周三到周五社区停水，大家提前接点"),
    ("away", "{who}说她家孩子国庆去北京研学，问有没有一起的"),
    ("away", "{who}周末去老年大学上课，书法班还有名额"),
    ("wealth", "{who}帮老人跑拆迁补偿的手续，跑前跑后的"),
    ("wealth", "{who}在银行上班，问理财可以找他"),
    ("wealth", "{who}说领了补偿款的要小心电话诈骗"),
    ("valuables", "{who}开了个金店，就在东门那边"),
    ("valuables", "{who}会修红木家具，手艺真好"),
    ("valuables", "{who}捡了个金戒指交到物业了，谁丢的去认领"),
    ("valuables", "{who}的车挡住消防通道了，麻烦挪一下"),
    ("valuables", "{who}说营业款最好当天存银行"),
    ("hospital", "{who}，你们家上回住院报销是在哪办的"),
    ("away", "{who}，你周末回不回老家，回的话帮我捎点东西"),
    ("valuables", "@{who} 你那个金镯子在哪家买的，我也想买一个"),
]


def everyday_lines(rng: random.Random) -> list[dict[str, str]]:
    out = []
    for kind, line in EVERYDAY:
        for who in rng.sample(PEOPLE, 4):
            text = line.format(who=who)
            out.append({"text": text, "label": "ok", "kind": kind, "style": "person-no-matter"})
    return out


def main() -> None:
    rng = random.Random(SEED)
    write_new(OUT, told_lines(rng) + own_lines(rng) + general_lines(rng) + everyday_lines(rng))


if __name__ == "__main__":
    main()
