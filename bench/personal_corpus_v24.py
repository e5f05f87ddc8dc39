"""Write guard/corpus_personal/personal_v24.jsonl: the matter classes the lexicon and the
corpus of issue 19 had no words for, and the hard negatives beside them. A neighbour named by
a title, a nickname, a job, a home or a kin word, or the writer's kin by full name (我表嫂马
秀琴), told with where their money is kept, when their home is empty or unlocked, a
stigmatised private life (sexuality, bar work, an affair told by what was seen, adoption, a
second marriage), a developmental or mental condition or a cancer named by its organ. Beside
them, "ok": the writer's own, generic safety advice, notices, news, questions, the same
matter of no one, and the same people in everyday talk. Seeded: the same file every run;
lines already in the corpus are left out.

    .venv/bin/python bench/personal_corpus_v24.py
"""

from __future__ import annotations

import json
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "guard" / "corpus_personal" / "personal_v24.jsonl"
SEED = 24

PEOPLE = [
    "海哥",
    "老贺两口子",
    "8号楼的白姐",
    "斜对门那个后生",
    "1101那家的儿子",
    "物业的小郝",
    "马大爷",
    "孙婶",
    "刘姨",
    "杨师傅",
    "老冯",
    "小苏",
    "老海家那口子",
    "田家的儿媳妇",
    "拉面馆的马老板",
    "开干洗店的白姐",
    "卖馍馍的老汉",
    "门卫老丁",
    "保洁韩阿姨",
    "快递站的小伙子",
    "修鞋的老罗",
    "9号楼那个老太太",
    "11栋二单元的金叔",
    "1202的",
    "隔壁单元的纳姐",
    "楼上那家的男的",
    "住我楼下的丁奶奶",
    "四楼的那个姑娘",
    "咱们单元的沙哥",
    "二狗他妈",
    "胖姐",
    "那个姓虎的",
    "何家老二",
    "敏大姐",
    "老鲁头",
    "周建华",
    "马玉梅",
    "李红霞",
    "杨德福",
]
KIN_NAMED = [
    "我表姐哈彩霞",
    "我堂弟马小军",
    "我大姑姐冯玉兰",
    "我妹夫苏永平",
    "我二姨家的表哥田志勇",
    "我儿媳妇余婷",
    "我外甥女穆佳",
    "我娘家嫂子海凤英",
    "我表弟媳杜娟",
    "我舅舅纳国庆",
    "我同事马晓燕",
    "我老同学赵永刚",
    "我发小孙海",
    "我亲家母冯淑珍",
    "我姑父白金山",
]

# What is told of the person: (kind, predicate)
TOLD = [
    # wealth and where it is kept
    ("wealth", "退休工资一个月八千多，光存款就一百来万"),
    ("wealth", "存折都搁在衣柜最底下那个鞋盒子里"),
    ("wealth", "去年中了彩票，到手三十多万，一直没敢声张"),
    ("wealth", "拆迁款拿了两百多万，全存在黄河银行"),
    ("wealth", "工伤赔了五十多万，钱都在家里攥着"),
    ("wealth", "床底下压着好几万现金，说是不信银行"),
    ("wealth", "养老金五千出头，卡在邮政，密码就是生日"),
    ("wealth", "家里有个保险柜，放的都是金条金镯子"),
    ("wealth", "老伴走了单位给了抚恤金四十万，现在一个人守着"),
    ("wealth", "定期存了八十万在建行，下个月到期"),
    ("wealth", "卖房子的钱一百二十万还没存，都在家里放着"),
    ("wealth", "退休金每个月都取出来塞枕头底下"),
    ("wealth", "米缸里藏着钱，好几沓子，我亲眼见过"),
    ("wealth", "车祸赔偿金拿了七十多万，在农商行存着"),
    ("wealth", "在工行有两张存单，加起来六十万"),
    ("wealth", "老家的地征收了，补偿款一百多万刚打到卡上"),
    ("wealth", "手上现金少说二三十万，都锁在抽屉里"),
    ("wealth", "中了五百万那个就是他，换了个手机号躲亲戚呢"),
    ("wealth", "信用社里存着儿子寄回来的钱，一年攒了十几万"),
    ("wealth", "把卡的密码写在卡背面，装在老花镜盒子里"),
    ("wealth", "首饰金条都放家里那个红木柜子里，过年才拿出来戴"),
    ("wealth", "老头子留下的遗产三百多万，几个子女正在争"),
    ("wealth", "刚领了补偿款八十万，天天去银行门口转悠"),
    ("wealth", "退休工资卡一直在儿媳妇手里，一个月九千多"),
    ("wealth", "银行卡密码跟门锁密码是一个，她自己说的"),
    # a home's security
    ("security", "自打老伴走了就自己住着，三个孩子一个都不在跟前"),
    ("security", "十月底就飞三亚了，说是要住到清明，屋里空着"),
    ("security", "怕忘带钥匙，备用的那把一直塞在门口鞋柜里"),
    ("security", "家那个指纹锁的备用密码是六个8，上回开门我就在旁边"),
    ("security", "在超市上晚班，回来都过了十点，抄的是菜地旁边那条土路"),
    ("security", "家请的护工每天下午两点出去接孩子，四点才回，瘫着的老爷子就一个人"),
    ("security", "嫌麻烦从来不反锁，拿个凳子顶着门就睡了"),
    ("security", "两口子都在工地上干活，天不亮就走，天黑透了才回"),
    ("security", "独居，耳朵又背，敲门半天都听不见"),
    ("security", "家防盗门锁坏了一个多月，一推就开"),
    ("security", "每天天一亮就去清真寺，要到八点多才回，家里就剩个病人"),
    ("security", "夜市摆摊，凌晨一点收摊，揣着一晚上的营业款骑电动车回来"),
    ("security", "过年回老家了，要正月十五以后才回来，屋里没人"),
    ("security", "家钥匙挂在门口电表箱里头"),
    ("security", "白天去医院陪床，家里就剩个八十多的老太太"),
    ("security", "每周二周四下午都去女儿家带孙子，家里空着"),
    ("security", "自己一个人在家，腿脚不好，下楼都费劲"),
    ("security", "每天下了夜班凌晨两点才回来，抄的近道从工地那边走"),
    ("security", "家里窗户锁坏了，一楼那个窗户一拉就开"),
    ("security", "门禁密码老是跟别人说，谁都能进"),
    ("security", "出差半个月，家里就一个上初中的娃"),
    ("security", "老伴住院了，晚上一个人在家，门都不敢关严"),
    ("security", "每天送完孩子八点回来，然后一直到下午四点都一个人"),
    ("security", "猫冬去了三亚，房子空了三个月了"),
    ("security", "家里就老两口，儿子在外地，晚上九点就睡了门都不插"),
    # stigmatised private life
    ("intimate", "不找对象是因为喜欢同性，他家里还逼着相亲呢"),
    ("intimate", "在南门那边的夜场上班，就是陪人喝酒那种"),
    ("intimate", "上礼拜在怀远夜市碰见跟个年轻男的搂着，那可不是她家那口子"),
    ("intimate", "隔三岔五换个男的开车接，楼下大妈们都议论开了"),
    ("intimate", "家那个丫头当年是从福利院抱回来的，瞒了十几年了"),
    ("intimate", "家小的那个跟她男人长得一点不像，大家都说不是他的种"),
    ("intimate", "这是第二个老公了，头一个男人在石嘴山，儿子判给了人家"),
    ("intimate", "男人一年到头回不来几趟，说是在银川另外安了个家"),
    ("intimate", "白天睡觉晚上化个大浓妆出门，在歌厅里陪客人"),
    ("intimate", "年轻时候在南方做过那一行，回来才找的老实人嫁了"),
    ("intimate", "对女的没兴趣，结婚就是为了应付家里"),
    ("intimate", "家儿子是收养的，亲爹亲妈都在甘肃那边"),
    ("intimate", "跟单位领导开房被人家老婆堵在酒店门口了"),
    ("intimate", "被人包养着，那房子就是人家给买的"),
    ("intimate", "跟前妻还来往，现在这个媳妇不知道"),
    ("intimate", "晚上老带不同的女的回来，楼道里碰见好几回"),
    ("intimate", "在按摩店上班，那种按摩店你们懂的"),
    ("intimate", "是捡来的孩子，当年在医院门口抱回来的"),
    ("intimate", "那个后妈对孩子不好，孩子是前妻生的"),
    ("intimate", "在夜总会陪唱，一晚上挣好几百"),
    ("intimate", "外头养了个女的，在西夏区租的房子"),
    ("intimate", "是再婚的，前面那个男的坐过牢"),
    ("intimate", "跟楼上那个男的好像是一对，俩男的天天一起出门"),
    ("intimate", "变性了，以前是男的，现在穿裙子"),
    ("intimate", "傍了个大款，天天有车接送，老公在外地打工"),
    # health not in the lexicon
    ("health", "家小子是孤独症谱系，在康复中心练了两年了"),
    ("health", "在菜市场门口犯过一回病，倒地上浑身抽，吓死人"),
    ("health", "结肠上切了一段，现在挂着造瘘袋"),
    ("health", "有强迫症，一天洗几十遍手，在吃药"),
    ("health", "家的老二生下来就是唐氏综合征，现在十几岁了离不开人"),
    ("health", "家孙子注意力缺陷，上课坐不住，老师劝退了两回"),
    ("health", "去年做了乳房切除，现在天天戴着假发"),
    ("health", "鼻咽上的毛病，在肿瘤医院放疗呢"),
    ("health", "现在认不得人了，把闺女当成她妈，出门还得拴个定位器"),
    ("health", "家姑娘智力有问题，三十岁了还跟小孩一样"),
    ("health", "是双相，一阵好一阵坏的，犯起来吓人"),
    ("health", "甲状腺长了结节，要做切除"),
    ("health", "家的孩子是聋哑，戴着助听器也听不清"),
    ("health", "前列腺上查出来有问题，正在住院"),
    ("health", "家外孙是阿斯伯格，跟同学处不来"),
    ("health", "是弱智，你跟他说啥他都不明白"),
    ("health", "宫颈上长了东西，在总医院做的手术"),
    ("health", "精神障碍，有残疾证，平时一个人在楼道里转"),
    ("health", "抽风抽了好多年了，一激动就犯"),
    ("health", "食道上长了个瘤，吃饭都咽不下去"),
    ("health", "查出来是淋巴上的，已经转移了"),
    ("health", "脑子不太好，小时候发烧烧坏的"),
    ("health", "肺上有个结节，天天担心是不好的"),
    ("health", "查出来是胰腺上的，大夫说也就半年了"),
    ("health", "有癫痫，还在开校车呢，你说吓人不"),
]

# More ways of telling the same classes, each of two people only
TOLD_MORE = [
    ("wealth", "手里有两本存折，一本工行一本邮政，都锁在床头柜里"),
    ("wealth", "一个月退休金六千八，全让她儿子拿去还房贷了"),
    ("wealth", "拆迁分了三套房外加一百多万现款，在信用社存着呢"),
    ("wealth", "家里现金不下十万，装在装茶叶的铁罐子里"),
    ("wealth", "卡里那点养老钱都是定期，每年十月份到期去转存"),
    ("wealth", "去年儿子出车祸赔了九十万，钱在老两口名下的农行卡上"),
    ("wealth", "刮刮乐中了二十万，偷着领的，连她老公都不知道"),
    ("wealth", "攒了一辈子的金首饰，都藏在阳台那个旧纸箱子里"),
    ("wealth", "存款八十多万，银行卡密码就是她孙子的生日"),
    ("wealth", "每个月十号去邮政取退休金，一取就是全取出来"),
    ("intimate", "早些年在桑拿房上班，这一片的老人都知道"),
    ("intimate", "年轻的时候在舞厅当过三陪，后来才从良的"),
    ("intimate", "跟她男人是假结婚，其实两个人各过各的，她喜欢女的"),
    ("intimate", "前头那个媳妇是跑了的，现在这个是带着孩子嫁过来的"),
    ("intimate", "闺女不是亲生的，是她妹妹当年未婚生的送过来养"),
    ("intimate", "男人在外头跑车，一走半个月，有人看见夜里有男的进她家门"),
    ("intimate", "在宾馆跟人开房被派出所查房查到过"),
    ("intimate", "离过两回婚了，现在跟的这个是第三个"),
    ("alone", "老伴去世以后就一个人过，晚上七点就关灯睡了"),
    ("alone", "闺女远嫁新疆了，一年回来一趟，平时就她自己在家"),
    ("access", "家门上的锁早坏了，拿根铁丝拧着"),
    ("routine", "每天晚上九点多一个人去河边那条没人的路上散步"),
    ("health", "家二小子是脑瘫后遗症，走路一瘸一拐的"),
    ("health", "查出来子宫上长了个东西，下个月去北京做手术"),
    ("health", "精神上有点问题，去年在宁安医院住了三个月"),
]

OPENERS = [
    "",
    "",
    "",
    "跟你们说，",
    "听说",
    "你们知道不，",
    "我听楼下的说",
    "哎，",
    "悄悄说一句，",
    "昨天在菜市场碰见才知道，",
    "谁还不知道啊，",
    "咋说呢，",
    "我给你们讲，",
    "嘿 你们知道吗 ",
    "早上跳广场舞的时候听人说",
    "别往外传啊，",
    "真的假的，",
]
TAILS = [
    "",
    "",
    "",
    "，别往外说",
    "，你们可别说是我说的",
    "，唉",
    "，真是的",
    "，这事全楼都知道",
    "，我也是听人说的",
    "。",
    "，可怜的",
    "嘛",
    "，啧啧",
    "，一天到晚的",
]


def told_lines(rng: random.Random) -> list[dict[str, str]]:
    out = []
    for kind, told in TOLD:
        whos = [*rng.sample(PEOPLE, 2), rng.choice(KIN_NAMED)]
        for who in whos:
            sep = "" if told[0] in "家的" or who.endswith("的") else rng.choice(["", "", "，"])
            if told[0] in "家的" and (who.endswith("的") or who.endswith("家")):
                told_ = told[1:]
            else:
                told_ = told
            if told_.startswith("我看见"):
                text = f"{rng.choice(OPENERS)}我看见{who}{told_[3:]}{rng.choice(TAILS)}"
            else:
                text = f"{rng.choice(OPENERS)}{who}{sep}{told_}{rng.choice(TAILS)}"
            out.append(_told(text, kind, who))
    for kind, told in TOLD_MORE:
        for who in rng.sample(PEOPLE + KIN_NAMED, 2):
            sep = "" if told[0] in "家的" else rng.choice(["", "", "，"])
            text = f"{rng.choice(OPENERS)}{who}{sep}{told}{rng.choice(TAILS)}"
            out.append(_told(text, kind, who))
    return out


def _told(text: str, kind: str, who: str) -> dict[str, str]:
    style = "kin-named" if who in KIN_NAMED else "neighbour"
    return {"text": text, "label": "pii", "kind": kind, "style": style}


# The writer's own, or the writer's unnamed family's: (kind, line)
OWN = [
    ("wealth", "我的工资卡想换个银行发，找单位还是找社保"),
    ("wealth", "我家老头养老金五千，卡丢了补办要带啥"),
    ("wealth", "我们两口子存了点钱，定期好还是买理财好"),
    ("wealth", "我中了个两百块的彩票，高兴一天了哈哈"),
    ("wealth", "我爸拆迁补偿款还没到账，找谁问"),
    ("wealth", "我家存折找不着了，挂失要本人去吗"),
    ("wealth", "我工伤赔偿下来了，律师费怎么算合理"),
    ("wealth", "我妈非要把现金放家里，咋劝都不听，愁死了"),
    ("wealth", "我的银行卡密码输错三次锁了，咋解"),
    ("wealth", "本人退休金想改成社保卡发放，去哪办"),
    ("security", "我自己住顶楼，晚上楼道灯老坏，心里发毛"),
    ("security", "我们家过年回老家，家里没人，物业能帮忙看一眼吗"),
    ("security", "我老是忘带钥匙，想装个指纹的，安装费多少"),
    ("security", "我下晚班回来，西门那段没监控，心里慌"),
    ("security", "我家防盗门锁坏了，谁有开锁师傅电话"),
    ("security", "我妈一个人在家，我白天上班不放心，社区有没有上门看看的"),
    ("security", "我们两口子要去闺女家住仨月，暖气能报停不"),
    ("security", "我家门禁卡丢了，去物业补要多少钱"),
    ("security", "我爸耳朵背，敲门听不见，有没有那种闪灯的门铃"),
    ("security", "本人独居，想装个一键呼叫，社区有补贴吗"),
    ("intimate", "我跟前面那个离了五年了，孩子户口还在他那，能迁过来不"),
    ("intimate", "我家孩子是抱养的，手续都齐，上户口要啥材料"),
    ("intimate", "我再婚了，户口本上前夫那页怎么改"),
    ("intimate", "我们想领养个孩子，民政局那边怎么走流程"),
    ("intimate", "我以前在KTV上过班，现在找正经工作老被人问，咋办"),
    ("intimate", "我是后妈，孩子跟我不亲，有没有懂心理的聊聊"),
    ("health", "我儿子孤独症，残疾证办下来能领多少"),
    ("health", "我有癫痫，单位入职体检会查出来吗"),
    ("health", "我甲状腺结节，医生说要切除，总医院好还是医科大附院好"),
    ("health", "我妈阿尔茨海默，老走丢，有没有那种定位手环"),
    ("health", "我自己有强迫症，吃药好多了，跟大家分享一下"),
    ("health", "我家娃多动症，老师老找家长，有同样情况的家长吗"),
    ("health", "我乳腺上长了个东西，查出来是良性的，虚惊一场"),
    ("health", "我爸胃上长了个瘤，做完手术了，谢谢大家关心"),
    ("health", "我家孩子智力发育迟缓，培智学校怎么报名"),
]


def own_lines(rng: random.Random) -> list[dict[str, str]]:
    out = []
    ends = ["", "", "？", "，谢谢大家", "，急"]
    for kind, line in OWN:
        out.append({"text": line, "label": "ok", "kind": kind, "style": "own"})
        out.append(
            {
                "text": f"问一下，{line}{rng.choice(ends)}",
                "label": "ok",
                "kind": kind,
                "style": "own",
            }
        )
    return out


# Generic advice, notices, news, questions, a matter of no one: (kind, style, line)
GENERAL = [
    ("security", "advice", "出门别光带上门，一定要反锁两圈"),
    ("security", "advice", "老人手里的钱还是放银行踏实，放家里招贼"),
    ("security", "advice", "门锁密码别设成生日和门牌号，容易被猜到"),
    ("security", "advice", "要出远门的，窗户插销都检查一遍再走"),
    ("security", "advice", "晚上下班走大路，别抄小道，安全第一"),
    ("security", "advice", "独居老人家里最好装个一键呼叫，有事能叫人"),
    ("security", "advice", "防盗门坏了赶紧修，别等出了事才后悔"),
    ("security", "advice", "家里没人的时候别在朋友圈发定位，小偷都看这个"),
    ("security", "advice", "钥匙别挂电表箱里，别人一开就拿到了"),
    ("security", "advice", "门禁密码别随便告诉外人，快递外卖让他们打电话"),
    ("wealth", "advice", "老人家退休金别都取出来放家里，存银行安全"),
    ("wealth", "advice", "银行卡密码千万别写在卡背面"),
    ("wealth", "advice", "中了彩票千万别声张，这是老话"),
    ("wealth", "advice", "拆迁款到账了别急着借给亲戚，先存定期"),
    ("wealth", "advice", "有人打电话说养老金要认证交钱的都是骗子"),
    ("security", "notice", "社区通知：网格员本周上门登记空巢、高龄老人信息"),
    ("security", "notice", "物业提示：长期不在家的业主请关闭燃气总阀"),
    ("security", "notice", "物业提示：近期单元门禁密码更换，请到物业领取新卡"),
    ("security", "notice", "社区公告：为独居、空巢老人免费安装烟感报警器，周三上门"),
    ("security", "notice", "派出所提醒：春节期间外出请锁好门窗，贵重物品不要放家里"),
    ("wealth", "notice", "社区通知：养老金资格认证本月底截止，可在手机上办"),
    ("wealth", "notice", "拆迁补偿款发放公告请到社区公示栏查看"),
    ("health", "notice", "两癌筛查开始预约了，35到64岁的妇女带身份证"),
    ("health", "notice", "残联通知：自闭症、智力障碍儿童康复补助开始申报"),
    ("health", "notice", "社区讲座：阿尔茨海默病的早期信号，周四下午活动室"),
    ("intimate", "notice", "民政局提示：收养登记需要的材料见附件"),
    ("intimate", "notice", "社区普法讲座：再婚家庭财产与继承，欢迎参加"),
    ("intimate", "notice", "派出所提醒：出租屋租客需办理居住登记"),
    ("intimate", "public", "娱乐新闻又在扒某男星婚内的事，烦不烦"),
    ("intimate", "public", "那个演员出柜了，说自己是同性恋，网上吵翻了"),
    ("wealth", "public", "新闻报道某地彩民中了两亿，匿名领的奖"),
    ("health", "public", "电视上说自闭症孩子越来越多了，得早发现早干预"),
    ("health", "public", "某歌手得了甲状腺癌，新闻说已经做完手术了"),
    ("security", "public", "新闻里说有小偷专门盯独居老人，大家注意"),
    ("intimate", "public", "热搜上那个网红被曝在夜总会上过班"),
    ("health", "ask", "得过羊角风的人能考大车驾照不？"),
    ("health", "ask", "孤独症的康复课一节多少钱，医保能报吗"),
    ("intimate", "ask", "收养登记需要夫妻双方都到场吗"),
    ("wealth", "ask", "体彩兑奖要去哪，超过一万的"),
    ("wealth", "ask", "今年调待遇了没，退休的都补发了吗"),
    ("wealth", "ask", "征收评估价是按面积还是按户算的"),
    ("security", "ask", "智能锁电池没电了咋开门"),
    ("security", "ask", "开锁的师傅要看身份证和房产证吧"),
    ("health", "ask", "胃上长了东西一般要做哪些检查"),
    ("health", "ask", "多动症孩子能上普通小学吗"),
    ("intimate", "ask", "二婚的话前面孩子的户口能跟过来吗"),
    ("intimate", "ask", "领养的孩子长大了要不要告诉他，你们咋看"),
    ("health", "ask", "阿尔茨海默能报慢病吗，谁办过"),
    ("security", "ask", "能不能跟物业反映下，北门路灯坏了半个月了"),
    ("wealth", "ask", "存折和银行卡哪个安全，老人用哪个好"),
    ("security", "nobody", "有的人家钥匙放地垫下面，这习惯真得改改"),
    ("security", "nobody", "咱小区独居老人挺多的，大家多留个心"),
    ("wealth", "nobody", "听说有人中了彩票，也不知道是谁，羡慕"),
    ("security", "nobody", "好多人家冬天都去海南了，小区一下子空了一半"),
    ("health", "nobody", "现在自闭症的娃真多，当家长的太难了"),
    ("intimate", "nobody", "现在二婚的多了，也没啥稀奇的"),
    ("health", "nobody", "有个人在广场上抽过去了，120拉走了，不知道是谁"),
    ("security", "nobody", "有人家门没关，风一吹咣咣响，谁家的去看看"),
    ("wealth", "nobody", "现在还有人把钱放家里，也不怕丢"),
    ("intimate", "nobody", "抱养的孩子跟亲生的一样，养大了都是自己的"),
    ("security", "advice", "指纹锁也得设个复杂点的备用密码，别图省事"),
    ("security", "advice", "老人一个人在家，陌生人敲门千万别开"),
    ("security", "advice", "晚上回来晚的姑娘们，进单元门看看后面有没有人跟着"),
    ("wealth", "advice", "存折存单放家里记得跟房本分开放，防火防潮"),
    ("wealth", "advice", "金首饰别戴着去早市，人多手杂"),
    ("health", "advice", "家里有孩子确诊孤独症的，早干预效果好，别耽误"),
    ("intimate", "advice", "再婚家庭最好把财产提前说清楚，省得以后打官司"),
    ("security", "notice", "物业通知：本周五更换单元门禁系统，旧卡作废"),
    ("wealth", "notice", "银行工作人员本周六在社区活动室讲防范养老诈骗"),
    ("health", "notice", "残联送康复器材进社区，有需要的残疾人家庭到居委会登记"),
    ("intimate", "notice", "法律援助进社区：离婚、再婚、继承问题免费咨询"),
    ("security", "notice", "社区志愿者招募：每周给空巢老人打一次电话问平安"),
    ("intimate", "public", "网上那个视频里男的带小三进酒店被老婆抓了，看着真解气"),
    ("wealth", "public", "听广播说宁夏有人中了体彩一千多万，不知道哪个县的"),
    ("health", "public", "抖音上那个自闭症画家的画卖了好几万，真厉害"),
    ("security", "public", "银川晚报说兴庆区抓了一伙专偷空房子的贼"),
    ("health", "ask", "甲状腺结节几级需要做手术？"),
    ("health", "ask", "孩子多动症吃药有没有副作用，谁了解"),
    ("wealth", "ask", "退休金是每个月几号到账啊"),
    ("wealth", "ask", "工伤赔偿标准宁夏是多少，有没有懂的"),
    ("security", "ask", "家里没人的时候暖气要不要关"),
    ("security", "ask", "门禁卡能复制不，一家人不够用"),
    ("intimate", "ask", "再婚的话老人的养老金能领两份吗"),
    ("intimate", "ask", "在夜场上班的人能交社保吗，有没有懂的"),
    ("health", "nobody", "每个单元差不多都有个卧床的老人，家属不容易"),
    ("wealth", "nobody", "前两天银行门口有个老太太取了好几万，大家说她胆子真大"),
    ("security", "nobody", "不知道哪家的钥匙掉在楼道里了，放门卫了"),
    ("intimate", "nobody", "现在年轻人不结婚的多了，同性的也有，各过各的"),
    ("health", "nobody", "菜市场今天有个人犯病抽过去了，好在有人懂急救"),
    # notices, advice and questions that name a role or a home in passing
    ("security", "notice", "物业的通知：独居老人家里的燃气报警器本周免费检测，楼长统计一下"),
    ("security", "advice", "对门住着独居老人的，平时多敲敲门问一声"),
    ("security", "advice", "楼上楼下的都留个电话，谁家没人的时候帮着看一眼"),
    ("security", "advice", "门卫师傅说了，外卖快递一律放门口，别随便给陌生人开单元门"),
    ("security", "ask", "保安晚上几点开始巡逻？后半夜还有人吗"),
    ("security", "ask", "物业的能不能把北门的门禁密码换了，好多外人都知道"),
    ("security", "notice", "楼长通知：春节外出的住户请到物业登记，方便巡查"),
    ("security", "ask", "隔壁单元的防盗门是谁修的，我们单元也坏了"),
    ("wealth", "advice", "保安大哥说最近有冒充银行的上门收现金，大家别信"),
    ("wealth", "ask", "物业的知道养老金认证在哪办不？老人不会用手机"),
    ("wealth", "notice", "楼长提醒：有人上门推销理财、说能帮忙存定期高息的，一律报警"),
    ("wealth", "ask", "快递站的那个彩票机还能打票不"),
    ("health", "ask", "保安这个工作，有高血压、癫痫的能干吗"),
    ("health", "ask", "门卫一般多大年纪的能招，身体有病的行不行"),
    ("health", "notice", "物业的通知：社区医生周三入户给卧床老人体检，楼长统计名单"),
    ("health", "advice", "家里有孤独症孩子的，隔壁邻居多体谅，孩子不是故意吵"),
    ("health", "ask", "楼上的孩子天天半夜哭，是不是有啥病，要不要跟社区说"),
    ("intimate", "ask", "领养的手续物业能开证明吗，还是得社区开"),
    ("intimate", "advice", "别老议论人家家里的事，二婚的、领养的都是人家自己的事"),
    ("intimate", "ask", "楼下开宾馆的那家招前台，有想去的吗"),
    ("intimate", "notice", "物业提示：小区内群租房、日租房一律不得经营，发现请举报"),
    ("security", "ask", "对门装了个摄像头正对着我家门，这合法吗"),
    ("security", "advice", "隔壁要是好几天没动静，特别是老人，赶紧给社区打电话"),
    ("wealth", "ask", "门卫那儿能代收挂号信不，银行寄的卡"),
    # a neighbour in a scam warning: the lure is the matter, not their private life
    ("wealth", "warning", "楼下的刘阿姨差点被冒充公安的骗去取现金，幸亏银行柜员拦下了，大家注意"),
    ("wealth", "warning", "王叔接了个电话说他中奖了要先交税，还好问了儿子，都是骗子"),
    ("wealth", "warning", "提醒一下，老张家那口子被人上门推销保健品，说能领养老金补贴，别信"),
    ("wealth", "warning", "对门大爷说有人冒充社保局让他把存款转到安全账户，大家千万别转"),
    ("wealth", "warning", "门卫老马说最近有人冒充物业收现金押金，一律别给"),
    ("wealth", "warning", "孙姨在建行门口被人搭讪说帮她存定期高息，是骗子，已经报警了"),
    ("wealth", "warning", "我们楼的赵大爷被拉进一个群说中了彩票要交手续费，大家别上当"),
    ("wealth", "warning", "李姐说有人打电话冒充她女儿要钱，张口就是两万，幸亏没转"),
    ("intimate", "warning", "楼上的小伙子刷到富婆求包养的视频，人家让先交保证金，全是骗局"),
    ("intimate", "warning", "老刘手机上收到重金求子的广告，大家看到这种直接举报"),
    ("intimate", "warning", "物业的小王说有人冒充酒店前台打电话要房费，住过宾馆的注意"),
    ("intimate", "warning", "隔壁单元的马哥网上交友，对方让他下载个App陪聊，赶紧卸了"),
    ("intimate", "warning", "王姐转发的那个招夜场公关日结的广告是骗人的，别去"),
    ("intimate", "warning", "有人冒充福利院募捐，说领养孩子要先交钱，小区里好几个人接到了"),
    ("security", "warning", "门卫老吴说有人冒充燃气公司上门，专挑一个人住的老人，大家别开门"),
    ("security", "warning", "对门阿姨接到电话问她家几点没人，说是送快递的，太可疑了，已经报警"),
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
    ("wealth", "{who}在建行当柜员，办业务可以找她"),
    ("wealth", "{who}说养老金认证在手机上就能弄，挺方便"),
    ("wealth", "{who}帮我把存折上的钱转到卡上了，真热心"),
    ("wealth", "{who}提醒大家别把现金放家里"),
    ("wealth", "{who}在彩票站门口卖烤红薯，可香了"),
    ("wealth", "{who}是社区管拆迁补偿登记的，有事找她"),
    ("security", "{who}组织独居老人包饺子，热闹得很"),
    ("security", "{who}从三亚回来了，晒得黢黑"),
    ("security", "{who}在群里说别把备用钥匙藏门口"),
    ("security", "{who}帮我修好了防盗门的锁，手艺真好"),
    ("security", "{who}教大家八段锦，周末早上在小广场"),
    ("security", "{who}晚上巡逻可认真了，后门那条路都照一遍"),
    ("security", "{who}给独居老人送菜送了一冬天，给她点赞"),
    ("intimate", "{who}在宾馆前台上班，人可热情了"),
    ("intimate", "{who}帮人办领养手续跑前跑后的，好人"),
    ("intimate", "{who}在酒吧街开了个烧烤摊，生意不错"),
    ("intimate", "{who}孩子满月酒，大家去喝喜酒哈"),
    ("health", "{who}是培智学校的老师，特别有耐心"),
    ("health", "{who}在康复中心上班，教自闭症孩子说话"),
    ("health", "{who}是总医院甲状腺外科的大夫，挂号可难了"),
    ("health", "{who}组织了个乳腺癌筛查的报名，想去的找她"),
    ("health", "{who}考了急救证，教大家海姆立克"),
    ("health", "{who}在残联上班，办残疾证可以问她"),
    ("wealth", "{who}在信用社门口摆摊修自行车，十几年了"),
    ("wealth", "{who}领着大家去银行学用手机银行，挺耐心"),
    ("security", "{who}把楼道里的灯都换成声控的了，辛苦"),
    ("security", "{who}家门口的春联贴歪了哈哈，谁去说一声"),
    ("security", "{who}出门遛狗记得拴绳啊，上回吓着小孩了"),
    ("intimate", "{who}家办喜事，新娘子可漂亮了"),
    ("intimate", "{who}在民政局婚姻登记处上班，结婚领证可以问"),
    ("health", "{who}腰扭了，这两天别找她搬东西了"),
    ("health", "{who}感冒了，今天的广场舞换人领"),
    ("wealth", "{who}买菜的时候捡了个钱包，交到派出所了"),
    ("wealth", "{who}说养老金今年又涨了一点，大家查查卡"),
    ("wealth", "{who}在工行门口发防诈骗的单子，大家路过拿一张"),
    ("wealth", "{who}讲了，存折丢了先打电话挂失"),
    ("wealth", "{who}中午去彩票站买了两注，说请大家吃西瓜哈哈"),
    ("wealth", "{who}问拆迁补偿款的公示什么时候贴出来"),
    ("security", "{who}挨家挨户登记独居老人，辛苦了"),
    ("security", "{who}说过年回老家的记得把窗户关好"),
    ("security", "{who}上夜班的，白天睡觉，大家装修小点声"),
    ("security", "{who}问谁家指纹锁好用，想给老人装一个"),
    ("security", "{who}在门禁那边贴了新密码的通知"),
    ("security", "{who}收摊了，剩下的菜便宜卖，快去"),
    ("security", "{who}去外地出差了，这周的志愿者排班换一下"),
    ("intimate", "{who}说民政局收养登记要预约，别白跑"),
    ("intimate", "{who}家闺女下个月结婚，在宾馆摆酒"),
    ("intimate", "{who}在福利院当义工，周末带孩子们做手工"),
    ("intimate", "{who}是歌厅的音响师傅，调音响一把好手"),
    ("health", "{who}去陪床了，托我把快递放门卫"),
    ("health", "{who}在康复中心教孤独症孩子画画，可有耐心了"),
    ("health", "{who}说两癌筛查周六开始，叫上姐妹们一起去"),
    ("health", "{who}问阿尔茨海默能不能办慢病卡，谁知道"),
    # a neighbour addressed with a question: asking, not telling
    ("wealth", "@{who} 问一下，你们那退休金是几号到账的"),
    ("wealth", "{who}，你上次说的那个存定期的银行是哪家来着"),
    ("wealth", "{who}你知道彩票站几点关门不"),
    ("security", "{who}，你家装的那个指纹锁在哪买的，好用不"),
    ("security", "@{who} 你们单元门禁密码改了吗，我进不去了"),
    ("security", "{who}过年回老家不，回的话花我帮你浇"),
    ("intimate", "{who}，你们单位有没有办收养登记的熟人，我一个朋友想问"),
    ("health", "{who}，你们那康复中心还收孤独症的孩子不"),
    ("health", "@{who} 两癌筛查你报上了没，我也想去"),
    ("health", "{who}，你认识总医院甲状腺科的大夫不，帮我朋友问问"),
]
EVERYDAY_PEOPLE = [*PEOPLE[:30], "我表嫂", "我堂哥", "我同事"]


def everyday_lines(rng: random.Random) -> list[dict[str, str]]:
    out = []
    for kind, line in EVERYDAY:
        for who in rng.sample(EVERYDAY_PEOPLE, 4):
            text = line.format(who=who)
            out.append({"text": text, "label": "ok", "kind": kind, "style": "person-no-matter"})
    return out


def write_new(out: Path, rows: list[dict[str, str]]) -> None:
    """``rows`` as ``out``, each text once and none another corpus file already has."""
    have = set()
    for path in sorted(out.parent.glob("*.jsonl")):
        if path != out:
            have |= {json.loads(x)["text"] for x in path.read_text("utf-8").splitlines() if x}
    seen: set[str] = set()
    kept = []
    for r in rows:
        if r["text"] not in have and r["text"] not in seen:
            seen.add(r["text"])
            kept.append(r)
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept), "utf-8")
    pii = sum(r["label"] == "pii" for r in kept)
    print(f"{out.name}: {pii} pii, {len(kept) - pii} ok")


def main() -> None:
    rng = random.Random(SEED)
    write_new(OUT, told_lines(rng) + own_lines(rng) + general_lines(rng) + everyday_lines(rng))


if __name__ == "__main__":
    main()
